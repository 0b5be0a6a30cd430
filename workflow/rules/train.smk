# Networks are trained on the prepared train splits of their tasks, one job per network.


rule train:
    input:
        unpack(network_data),
    output:
        model="results/models/{network}/model.pt",
        history="results/models/{network}/history.csv",
    params:
        code=code_digest("train"),
        spec=lambda wildcards: json.dumps(network_spec(wildcards), sort_keys=True),
        data=data_args,
    log:
        "logs/train/{network}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule train train --spec {params.spec:q} --data {params.data} --threads {threads} "
        "--out results/models/{wildcards.network} 2> {log}"


rule plot_history:
    input:
        "results/models/{network}/history.csv",
    output:
        report(
            "results/models/{network}/history.png",
            category="Training",
            caption="../report/history.rst",
        ),
    params:
        code=code_digest("plot-history"),
    log:
        "logs/plot_history/{network}.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule plot_history plot-history --history {input} --out {output} 2> {log}"
