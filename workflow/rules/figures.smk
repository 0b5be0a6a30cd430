# Each figure of the study is a target rule figN writing results/figures/figN.{pdf,png,csv}.
FIG1 = config["figures"]["fig1"]
FIG1_NETWORKS = [FIG1["face_net"], FIG1["object_net"], FIG1["dual_net"]]
FIG1_DECODED = [FIG1["face_net"], FIG1["object_net"]] + (
    [FIG1["untrained_net"]] if FIG1["untrained_net"] else []
)
FIG2 = config["figures"]["fig2"]
FIGS1 = config["figures"]["figS1"]


rule fig1:
    input:
        accuracy=expand(rules.evaluate.output.accuracy, network=FIG1_NETWORKS),
        decode=expand(rules.decode.output, network=FIG1_DECODED),
    output:
        pdf="results/figures/fig1.pdf",
        png=report("results/figures/fig1.png", category="Figures", caption="../report/fig1.rst"),
        csv="results/figures/fig1.csv",
    log:
        "logs/fig1/fig1.log",
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig1"),
        prefix=figure_prefix,
        networks=FIG1_NETWORKS,
        baseline=f"--baseline {FIG1['untrained_net']}" if FIG1["untrained_net"] else "",
        face_task=FIG1["face_task"],
        object_task=FIG1["object_task"],
    shell:
        "funcspec fig1 --accuracy {input.accuracy} --decode {input.decode} "
        "--networks {params.networks:q} {params.baseline} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --out-prefix {params.prefix} 2> {log}"


rule fig2:
    input:
        lesion_tables(FIG2["network"]),
    output:
        pdf="results/figures/fig2.pdf",
        png=report("results/figures/fig2.png", category="Figures", caption="../report/fig2.rst"),
        csv="results/figures/fig2.csv",
    log:
        "logs/fig2/fig2.log",
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("fig2"),
        prefix=figure_prefix,
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
    shell:
        "funcspec fig2 --lesion {input} --network {params.network:q} "
        "--face-task {params.face_task:q} --object-task {params.object_task:q} "
        "--fraction {params.fraction} --out-prefix {params.prefix} 2> {log}"


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
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("figS1"),
        prefix=figure_prefix,
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
    shell:
        "funcspec figS1 --lesion {input.network} --controls {input.controls} "
        "--network {params.network:q} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --fraction {params.fraction} "
        "--out-prefix {params.prefix} 2> {log}"
