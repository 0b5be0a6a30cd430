# Linear decoding of held-out classes from the penultimate layer (Fig. 1B).


rule decode:
    input:
        unpack(get_decode_data),
        model=rules.train.output.model,
    output:
        "results/decode/{network}.csv",
    log:
        "logs/decode/{network}.log",
    benchmark:
        "logs/decode/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        code=code_digest("decode"),
        numerics=numerics_arg(),
        data=get_decode_args,
        batch_size=config["decode"]["batch_size"],
        folds=config["decode"]["folds"],
        seed=config["decode"]["seed"],
    shell:
        "funcspec decode --model {input.model} --data {params.data} "
        "--batch-size {params.batch_size} --folds {params.folds} --seed {params.seed} "
        "--threads {threads} {params.numerics} --out {output} 2> {log}"
