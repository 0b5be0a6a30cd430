# The lesion method (SCIENCE.md): rank each layer's units by how much their removal hurts one
# task (greedy, loss-based), then zero the top-ranked units and measure every task.

RANKING = config["lesions"]["ranking"]
LESION_EVAL = config["lesions"]["evaluation"]


rule rank:
    input:
        unpack(network_data),
        model="results/models/{network}/model.pt",
    output:
        "results/relevance/{network}/{task}/{layer}.json",
    params:
        code=code_digest("rank"),
        data=data_args,
        split_seed=split_seed_arg,
        max_steps=f"--max-steps {RANKING['max_steps']}" if RANKING["max_steps"] else "",
        fresh="--fresh-images" if RANKING["fresh_images"] else "",
        ranking=RANKING,
    log:
        "logs/rank/{network}/{task}/{layer}.log",
    threads: 1
    resources:
        gpu=1,
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule rank rank --model {input.model} --data {params.data} --task {wildcards.task} "
        "{params.split_seed} --layer {wildcards.layer} --fraction {params.ranking[fraction]} "
        "--group-fraction {params.ranking[group_fraction]} {params.max_steps} "
        "--images {params.ranking[images]} {params.fresh} --engine {params.ranking[engine]} "
        "--batch-size {params.ranking[batch_size]} --seed {params.ranking[seed]} "
        "--threads {threads} --out {output} 2> {log}"


rule lesion:
    input:
        unpack(network_data),
        model="results/models/{network}/model.pt",
        rankings=layer_rankings,
    output:
        "results/lesions/{network}/{layer}.csv",
    params:
        code=code_digest("lesion"),
        data=data_args,
        split_seed=split_seed_arg,
        fractions=" ".join(str(p) for p in LESION_EVAL["fractions"]),
        draws=LESION_EVAL["random_draws"],
        seed=LESION_EVAL["seed"],
        batch_size=config["evaluation"]["batch_size"],
    log:
        "logs/lesion/{network}/{layer}.log",
    threads: 1
    resources:
        gpu=1,
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule lesion lesion --model {input.model} --data {params.data} --layer {wildcards.layer} "
        "--rankings {input.rankings} {params.split_seed} --fractions {params.fractions} "
        "--random-draws {params.draws} --batch-size {params.batch_size} --seed {params.seed} "
        "--threads {threads} --out {output} 2> {log}"
