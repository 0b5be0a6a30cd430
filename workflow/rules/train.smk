# Networks are trained on the prepared train splits of their tasks, one job per network.


rule train:
    input:
        unpack(get_network_data),
    output:
        model="results/train/{network}/model.pt",
        history="results/train/{network}/history.csv",
    log:
        "logs/train/{network}.log",
    benchmark:
        "logs/train/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        code=code_digest("train"),
        numerics=numerics_arg(),
        spec=get_network_spec,
        data=get_data_args,
        gpu=gpu_flags("train"),
    shell:
        "funcspec train --spec {params.spec:q} --data {params.data} --threads {threads} {params.numerics} {params.gpu} "
        "--out {output.model} --history {output.history} 2> {log}"


rule history:
    input:
        rules.train.output.history,
    output:
        report(
            "results/figures/history/{network}.png",
            category="Training",
            caption="../report/history.rst",
        ),
    log:
        "logs/history/{network}.log",
    benchmark:
        "logs/history/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("history"),
    shell:
        "funcspec history --history {input} --out {output} 2> {log}"
