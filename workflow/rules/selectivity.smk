# Figure 3's primary analysis: each unit's face selectivity (d') on held-out faces and objects,
# images no network trained on, and its group by the face and object rankings.


rule selectivity:
    input:
        model=rules.train.output.model,
        faces=f"results/prepare/{READOUT['face']}",
        objects=f"results/prepare/{READOUT['object']}",
        relevance=get_grouped_relevance,
    output:
        "results/selectivity/{network}.csv",
    log:
        "logs/selectivity/{network}.log",
    benchmark:
        "logs/selectivity/{network}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        code=code_digest("selectivity"),
        numerics=numerics_arg(),
        groups=unit_group_args(),
    shell:
        "funcspec selectivity --model {input.model} --faces {input.faces} "
        "--objects {input.objects} --relevance {input.relevance} {params.groups} "
        "--threads {threads} {params.numerics} --out {output} 2> {log}"
