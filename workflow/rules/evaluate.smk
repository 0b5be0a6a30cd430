# Top-1 accuracy on every task's test split (Fig. 1C), the joint argmax over all classes.


rule evaluate:
    input:
        unpack(get_network_data),
        model=rules.train.output.model,
    output:
        accuracy="results/evaluate/{network}/accuracy.csv",
        predictions="results/evaluate/{network}/predictions.csv",
    log:
        "logs/evaluate/{network}.log",
    benchmark:
        "logs/evaluate/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        code=code_digest("evaluate"),
        numerics=numerics_arg(),
        data=get_data_args,
        batch_size=config["evaluate"]["batch_size"],
        bootstrap=config["evaluate"]["bootstrap"],
        seed=config["evaluate"]["seed"],
        gpu=gpu_flags("evaluate"),
    shell:
        "funcspec evaluate --model {input.model} --data {params.data} "
        "--batch-size {params.batch_size} --bootstrap {params.bootstrap} --seed {params.seed} "
        "--threads {threads} {params.numerics} {params.gpu} --out {output.accuracy} --predictions {output.predictions} 2> {log}"
