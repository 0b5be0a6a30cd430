# The readout of Figure 3: a face-vs-object classifier of its own, trained on held-out classes
# and measured on others kept from it, scores how much more like a face each visualisation looks
# than its own starting noise. It reads no visualised network.
READOUT = config["readout"]


rule readout:
    input:
        faces=f"results/prepare/{READOUT['face']}",
        objects=f"results/prepare/{READOUT['object']}",
        visualizations=expand(rules.visualize.output, network=VISUALIZED, layer=VISUALIZE["layers"]),
    output:
        table="results/readout/readout.csv",
        classifier="results/readout/classifier.pt",
    log:
        "logs/readout/readout.log",
    benchmark:
        "logs/readout/readout.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: config["threads"]
    resources:
        gpu=1,
    params:
        code=code_digest("readout"),
        numerics=numerics_arg(),
        arch=json.dumps(config["archs"][READOUT["arch"]], sort_keys=True),
        epochs=READOUT["epochs"],
        batch_size=READOUT["batch_size"],
        lr=READOUT["lr"],
        unseen=READOUT["unseen_classes"],
        min_accuracy=READOUT["min_accuracy"],
        seed=READOUT["seed"],
    shell:
        "funcspec readout --faces {input.faces} --objects {input.objects} "
        "--visualizations {input.visualizations} --arch {params.arch:q} "
        "--epochs {params.epochs} --batch-size {params.batch_size} --lr {params.lr} "
        "--unseen-classes {params.unseen} --min-accuracy {params.min_accuracy} "
        "--seed {params.seed} --threads {threads} {params.numerics} --out {output.table} "
        "--classifier {output.classifier} 2> {log}"
