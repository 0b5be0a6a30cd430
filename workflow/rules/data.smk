# Raw images -> prepared shards. Synthetic datasets are drawn into class folders first, so that
# they enter the prepare step exactly as a real dataset on disk does.


rule generate_synthetic:
    output:
        directory("results/raw/{dataset}"),
    wildcard_constraints:
        dataset="|".join(SYNTHETIC) or "^$",
    params:
        code=code_digest("generate"),
        args=synthetic_args,
    log:
        "logs/generate_synthetic/{dataset}.log",
    threads: 2
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule generate_synthetic generate {params.args} --workers {threads} --out {output} 2> {log}"


rule prepare:
    input:
        unpack(prepare_inputs),
    output:
        directory("results/prepared/{dataset}"),
    params:
        code=code_digest("prepare"),
        spec=lambda wildcards: json.dumps(dataset_spec(wildcards), sort_keys=True),
        raw=raw_arg,
        source=source_fingerprint,
    log:
        "logs/prepare/{dataset}.log",
    threads: 4
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule prepare prepare --name {wildcards.dataset} --spec {params.spec:q} {params.raw} "
        "--workers {threads} --out {output} 2> {log}"


rule lowlevel_probe:
    input:
        expand("results/prepared/{dataset}", dataset=config["probe"]["datasets"]),
    output:
        "results/probe/lowlevel_probe.csv",
    params:
        code=code_digest("probe"),
        n=config["probe"]["images_per_dataset"],
        folds=config["probe"]["folds"],
        seed=config["probe"]["seed"],
    log:
        "logs/lowlevel_probe/lowlevel_probe.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule lowlevel_probe probe --datasets {input} --images-per-dataset {params.n} "
        "--folds {params.folds} --seed {params.seed} --out {output} 2> {log}"


rule contact_sheet:
    input:
        expand("results/prepared/{dataset}", dataset=DATASETS),
    output:
        report(
            "results/figures/contact_sheet.png",
            category="Datasets",
            caption="../report/contact_sheet.rst",
        ),
    params:
        code=code_digest("contact-sheet"),
        columns=config["contact_sheet"]["columns"],
    log:
        "logs/contact_sheet/contact_sheet.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule contact_sheet contact-sheet --datasets {input} --columns {params.columns} "
        "--out {output} 2> {log}"
