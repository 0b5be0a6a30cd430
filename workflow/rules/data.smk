# Raw images -> prepared shards. Generated datasets are drawn into class folders first, so that
# they enter the prepare step exactly as a real dataset on disk does.


rule generate:
    output:
        directory("results/generate/{dataset}"),
    log:
        "logs/generate/{dataset}.log",
    benchmark:
        "logs/generate/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(GENERATED) or "^$",
    conda:
        "../../envs/funcspec.yaml"
    threads: 2
    params:
        code=code_digest("generate"),
        args=get_generate_args,
    shell:
        "funcspec generate {params.args} --workers {threads} --out {output} 2> {log}"


rule prepare:
    input:
        unpack(get_prepare_inputs),
    output:
        directory("results/prepare/{dataset}"),
    log:
        "logs/prepare/{dataset}.log",
    benchmark:
        "logs/prepare/{dataset}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: 4
    params:
        code=code_digest("prepare"),
        spec=lambda wildcards: json.dumps(get_dataset(wildcards), sort_keys=True),
        raw=get_raw_arg,
        source=get_source_fingerprint,
    shell:
        "funcspec prepare --name {wildcards.dataset} --spec {params.spec:q} {params.raw} "
        "--workers {threads} --out {output} 2> {log}"


rule probe:
    input:
        expand("results/prepare/{dataset}", dataset=config["probe"]["datasets"]),
    output:
        "results/probe/probe.csv",
    log:
        "logs/probe/probe.log",
    benchmark:
        "logs/probe/probe.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("probe"),
        n=config["probe"]["images_per_dataset"],
        folds=config["probe"]["folds"],
        seed=config["probe"]["seed"],
    shell:
        "funcspec probe --datasets {input} --images-per-dataset {params.n} "
        "--folds {params.folds} --seed {params.seed} --out {output} 2> {log}"


rule contact_sheet:
    input:
        expand("results/prepare/{dataset}", dataset=DATASETS),
    output:
        report(
            "results/figures/contact_sheet.png",
            category="Datasets",
            caption="../report/contact_sheet.rst",
        ),
    log:
        "logs/contact_sheet/contact_sheet.log",
    benchmark:
        "logs/contact_sheet/contact_sheet.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("contact_sheet"),
        columns=config["contact_sheet"]["columns"],
        seed=config["contact_sheet"]["seed"],
    shell:
        "funcspec contact_sheet --datasets {input} --columns {params.columns} "
        "--seed {params.seed} --out {output} 2> {log}"
