# Unit relevance: each layer's units ranked, greedily, by how much their removal raises one
# task's loss (see docs/methods.md).
import shlex

RELEVANCE = config["relevance"]


rule relevance:
    input:
        unpack(get_network_data),
        model=rules.train.output.model,
    output:
        "results/relevance/{network}/{task}/{layer}.json",
    log:
        "logs/relevance/{network}/{task}/{layer}.log",
    benchmark:
        "logs/relevance/{network}/{task}/{layer}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        code=code_digest("relevance"),
        numerics=numerics_arg(),
        data=get_data_args,
        split_seed=get_split_seed_arg,
        max_steps=f"--max-steps {RELEVANCE['max_steps']}" if RELEVANCE["max_steps"] else "",
        fresh="--fresh-images" if RELEVANCE["fresh_images"] else "",
        fraction=RELEVANCE["fraction"],
        group_fraction=RELEVANCE["group_fraction"],
        images=RELEVANCE["images"],
        engine=RELEVANCE["engine"],
        # M shapes only the pruned engine's rankings: under the others it reruns nothing
        candidates=(
            f"--candidates {shlex.quote(str(RELEVANCE['candidates']))}"
            if RELEVANCE["engine"] == "pruned"
            else ""
        ),
        batch_size=RELEVANCE["batch_size"],
        seed=RELEVANCE["seed"],
        gpu=gpu_flags("relevance"),
    shell:
        "funcspec relevance --model {input.model} --data {params.data} --task {wildcards.task} "
        "{params.split_seed} --layer {wildcards.layer} --fraction {params.fraction} "
        "--group-fraction {params.group_fraction} {params.max_steps} --images {params.images} "
        "{params.fresh} --engine {params.engine} {params.candidates} --batch-size {params.batch_size} "
        "--seed {params.seed} --threads {threads} {params.numerics} {params.gpu} --out {output} 2> {log}"
