# Lesions: zero the top-ranked units of one layer and measure every task's test accuracy.
LESION = config["lesion"]


rule lesion:
    input:
        unpack(get_network_data),
        model=rules.train.output.model,
        relevance=get_layer_relevance,
    output:
        table="results/lesion/{network}/{layer}.csv",
        images="results/lesion/{network}/{layer}.npz",
    log:
        "logs/lesion/{network}/{layer}.log",
    benchmark:
        "logs/lesion/{network}/{layer}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        code=code_digest("lesion"),
        numerics=numerics_arg(),
        data=get_data_args,
        split_seed=get_split_seed_arg,
        fractions=LESION["fractions"],
        draws=LESION["random_draws"],
        batch_size=LESION["batch_size"],
        seed=LESION["seed"],
        gpu=gpu_flags("lesion"),
    shell:
        "funcspec lesion --model {input.model} --data {params.data} --layer {wildcards.layer} "
        "--relevance {input.relevance} {params.split_seed} --fractions {params.fractions} "
        "--random-draws {params.draws} --batch-size {params.batch_size} --seed {params.seed} "
        "--threads {threads} {params.numerics} {params.gpu} --out {output.table} --images {output.images} 2> {log}"
