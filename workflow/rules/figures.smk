# Each figure of the study is a target rule figN writing results/figures/figN.{pdf,png,csv}.
FIG1 = config["figures"]["fig1"]
FIG1_NETWORKS = [FIG1["face_net"], FIG1["object_net"], FIG1["dual_net"]]
FIG1_DECODED = [FIG1["face_net"], FIG1["object_net"]] + (
    [FIG1["untrained_net"]] if FIG1["untrained_net"] else []
)
FIG2 = config["figures"]["fig2"]
FIG4 = config["figures"]["fig4"]
# Panel D decodes held-out classes; a network with a task that has none is left out, and said so.
OVERLAPPED = funcspec_config.overlapped(config)
for name in (n for n in FIG4["networks"] if n not in OVERLAPPED):
    empty = [
        t
        for t in config["networks"][name]["tasks"]
        if not config["datasets"][t]["heldout"]["count"]
    ]
    logger.warning(
        f"Figure 4 panel D leaves out {name}: {', '.join(empty)} "
        f"{'has' if len(empty) == 1 else 'have'} no held-out classes (heldout.count 0)"
    )
FIGS1 = config["figures"]["figS1"]


rule fig1:
    input:
        accuracy=expand(rules.evaluate.output.accuracy, network=seeded(FIG1_NETWORKS)),
        decode=expand(rules.decode.output, network=seeded(FIG1_DECODED)),
    output:
        pdf="results/figures/fig1.pdf",
        png=report("results/figures/fig1.png", category="Figures", caption="../report/fig1.rst"),
        csv="results/figures/fig1.csv",
    log:
        "logs/fig1/fig1.log",
    benchmark:
        "logs/fig1/fig1.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig1"),
        networks=FIG1_NETWORKS,
        baseline=f"--baseline {FIG1['untrained_net']}" if FIG1["untrained_net"] else "",
        face_task=FIG1["face_task"],
        object_task=FIG1["object_task"],
    shell:
        "funcspec fig1 --accuracy {input.accuracy} --decode {input.decode} "
        "--networks {params.networks:q} {params.baseline} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


rule fig2:
    input:
        tables=lesion_tables(FIG2["network"]),
        images=lesion_tables(FIG2["network"], "npz")
        + (lesion_tables(FIG2["untrained_net"], "npz") if FIG2["untrained_net"] else []),
    output:
        pdf="results/figures/fig2.pdf",
        png=report("results/figures/fig2.png", category="Figures", caption="../report/fig2.rst"),
        csv="results/figures/fig2.csv",
    log:
        "logs/fig2/fig2.log",
    benchmark:
        "logs/fig2/fig2.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig2"),
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
        untrained=f"--untrained {FIG2['untrained_net']}" if FIG2["untrained_net"] else "",
        statistics=statistics_args(),
    shell:
        "funcspec fig2 --lesion {input.tables} --images {input.images} "
        "--network {params.network:q} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --fraction {params.fraction} "
        "{params.untrained} {params.statistics} --pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


rule figS1:
    input:
        network=lesion_tables(FIG2["network"]),
        controls=[path for net in FIGS1["networks"] for path in lesion_tables(net)],
    output:
        pdf="results/figures/figS1.pdf",
        png=report("results/figures/figS1.png", category="Figures", caption="../report/figS1.rst"),
        csv="results/figures/figS1.csv",
    log:
        "logs/figS1/figS1.log",
    benchmark:
        "logs/figS1/figS1.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("figS1"),
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
    shell:
        "funcspec figS1 --lesion {input.network} --controls {input.controls} "
        "--network {params.network:q} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --fraction {params.fraction} "
        "--pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


rule fig3:
    input:
        selectivity=expand(rules.selectivity.output, network=VISUALIZED),
        visualizations=rules.readout.input.visualizations,
        readout=rules.readout.output.table,
    output:
        pdf="results/figures/fig3.pdf",
        png=report("results/figures/fig3.png", category="Figures", caption="../report/fig3.rst"),
        csv="results/figures/fig3.csv",
    log:
        "logs/fig3/fig3.log",
    benchmark:
        "logs/fig3/fig3.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig3"),
        statistics=statistics_args(),
    shell:
        "funcspec fig3 --selectivity {input.selectivity} --visualizations {input.visualizations} "
        "--readout {input.readout} {params.statistics} --pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


rule fig4:
    input:
        images=[path for net in FIG4["networks"] for path in lesion_tables(net, "npz")]
        + (lesion_tables(FIG4["untrained_net"], "npz") if FIG4["untrained_net"] else []),
        overlap=expand(rules.overlap.output, network=seeded(OVERLAPPED)),
    output:
        pdf="results/figures/fig4.pdf",
        png=report("results/figures/fig4.png", category="Figures", caption="../report/fig4.rst"),
        csv="results/figures/fig4.csv",
    log:
        "logs/fig4/fig4.log",
    benchmark:
        "logs/fig4/fig4.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig4"),
        networks=FIG4["networks"],
        object_tasks=FIG4["object_tasks"],
        fraction=FIG4["fraction"],
        untrained=f"--untrained {FIG4['untrained_net']}" if FIG4["untrained_net"] else "",
        statistics=statistics_args(),
    shell:
        "funcspec fig4 --images {input.images} --overlap {input.overlap} "
        "--networks {params.networks:q} "
        "--object-tasks {params.object_tasks:q} --fraction {params.fraction} "
        "{params.untrained} {params.statistics} --pdf {output.pdf} --png {output.png} --csv {output.csv} "
        "2> {log}"


rule figS2:
    input:
        lesion_tables(FIG2["network"], "npz"),
    output:
        pdf="results/figures/figS2.pdf",
        png=report("results/figures/figS2.png", category="Figures", caption="../report/figS2.rst"),
        csv="results/figures/figS2.csv",
    log:
        "logs/figS2/figS2.log",
    benchmark:
        "logs/figS2/figS2.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("figS2"),
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
        draws=config["figures"]["figS2"]["draws"],
        bins=config["figures"]["figS2"]["bins"],
        seed=config["figures"]["statistics"]["seed"],
    shell:
        "funcspec figS2 --images {input} --network {params.network:q} "
        "--face-task {params.face_task:q} --object-task {params.object_task:q} "
        "--fraction {params.fraction} --draws {params.draws} --bins {params.bins} --seed {params.seed} "
        "--pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


# Laid over the default by config/architectures.yaml: not in the default's hour.
ARCHITECTURES = config["figures"].get("architectures") or {"networks": {}}


rule architectures:
    input:
        [
            path
            for network, twin in ARCHITECTURES["networks"].items()
            for name in [network] + ([twin] if twin else [])
            for path in lesion_tables(name, "npz")
        ],
    output:
        pdf="results/figures/architectures.pdf",
        png=report(
            "results/figures/architectures.png",
            category="Figures",
            caption="../report/architectures.rst",
        ),
        csv="results/figures/architectures.csv",
    log:
        "logs/architectures/architectures.log",
    benchmark:
        "logs/architectures/architectures.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("architectures"),
        networks=[f"{n}={t}" if t else n for n, t in ARCHITECTURES["networks"].items()],
        face_task=ARCHITECTURES.get("face_task"),
        object_task=ARCHITECTURES.get("object_task"),
        fraction=ARCHITECTURES.get("fraction"),
        statistics=statistics_args(),
    shell:
        "funcspec architectures --images {input} --networks {params.networks:q} "
        "--face-task {params.face_task:q} --object-task {params.object_task:q} "
        "--fraction {params.fraction} {params.statistics} "
        "--pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"


rule snapshots:
    input:
        unpack(get_snapshot_figure_inputs),
    output:
        pdf="results/figures/snapshots.pdf",
        png=report(
            "results/figures/snapshots.png",
            category="Figures",
            caption="../report/snapshots.rst",
        ),
        csv="results/figures/snapshots.csv",
    log:
        "logs/snapshots/snapshots.log",
    benchmark:
        "logs/snapshots/snapshots.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("snapshots"),
        figure=SNAPSHOT_FIGURE,
        statistics=statistics_args(),
    shell:
        "funcspec snapshots --images {input.images} --histories {input.histories} "
        "--network {params.figure[network]} --untrained {params.figure[untrained_net]} "
        "--face-task {params.figure[face_task]:q} --object-task {params.figure[object_task]:q} "
        "--fraction {params.figure[fraction]} {params.statistics} "
        "--pdf {output.pdf} --png {output.png} --csv {output.csv} 2> {log}"
