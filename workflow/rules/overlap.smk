# Figure 4's measure of overlap without lesions: each task's held-out classes decoded from the
# penultimate layer's units the other task relies on, beside its own, and from colour alone.


rule overlap:
    input:
        unpack(get_network_data),
        model=rules.train.output.model,
        relevance=get_penultimate_relevance,
    output:
        "results/overlap/{network}.csv",
    log:
        "logs/overlap/{network}.log",
    benchmark:
        "logs/overlap/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        code=code_digest("overlap"),
        numerics=numerics_arg(),
        data=get_data_args,
        relevance=config["relevance"]["fraction"],
        batch_size=config["decode"]["batch_size"],
        folds=config["decode"]["folds"],
        seed=config["decode"]["seed"],
    shell:
        "funcspec overlap --model {input.model} --data {params.data} "
        "--relevance {input.relevance} --fraction {params.relevance} "
        "--batch-size {params.batch_size} --folds {params.folds} --seed {params.seed} "
        "--threads {threads} {params.numerics} --out {output} 2> {log}"
