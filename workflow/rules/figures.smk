# Each figure of the study is a target rule figN writing results/figures/figN.{pdf,png,csv}.

FIG1 = config["figures"]["fig1"]
FIG1_NETWORKS = [FIG1["face_net"], FIG1["object_net"], FIG1["dual_net"]]
FIG1_DECODED = [FIG1["face_net"], FIG1["object_net"]] + (
    [FIG1["untrained_net"]] if FIG1["untrained_net"] else []
)


rule fig1:
    input:
        accuracy=expand("results/eval/{network}/accuracy.csv", network=FIG1_NETWORKS),
        decoding=expand("results/eval/{network}/decoding.csv", network=FIG1_DECODED),
        histories=expand("results/models/{network}/history.png", network=FIG1_NETWORKS),
    output:
        pdf="results/figures/fig1.pdf",
        png=report("results/figures/fig1.png", category="Figures", caption="../report/fig1.rst"),
        csv="results/figures/fig1.csv",
    params:
        code=code_digest("fig1"),
        networks=FIG1_NETWORKS,
        face_task=FIG1["face_task"],
        object_task=FIG1["object_task"],
    log:
        "logs/fig1/fig1.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule fig1 fig1 --accuracy {input.accuracy} --decoding {input.decoding} "
        "--networks {params.networks:q} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --out-prefix results/figures/fig1 2> {log}"


FIG2 = config["figures"]["fig2"]


rule fig2:
    input:
        lesions=network_lesions(FIG2["network"]),
        controls=[path for net in FIG2["controls"] for path in network_lesions(net)],
    output:
        pdf="results/figures/fig2.pdf",
        png=report("results/figures/fig2.png", category="Figures", caption="../report/fig2.rst"),
        csv="results/figures/fig2.csv",
        controls_pdf="results/figures/figS1.pdf",
        controls_png=report(
            "results/figures/figS1.png", category="Figures", caption="../report/figS1.rst"
        ),
        controls_csv="results/figures/figS1.csv",
    params:
        code=code_digest("fig2"),
        network=FIG2["network"],
        face_task=FIG2["face_task"],
        object_task=FIG2["object_task"],
        fraction=FIG2["fraction"],
    log:
        "logs/fig2/fig2.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule fig2 fig2 --lesions {input.lesions} --controls {input.controls} "
        "--network {params.network:q} --face-task {params.face_task:q} "
        "--object-task {params.object_task:q} --fraction {params.fraction} "
        "--out-prefix results/figures/fig2 --controls-prefix results/figures/figS1 2> {log}"



# The headline numbers (DVC metrics) and the training curves (DVC plots); see dvc.yaml.
rule metrics:
    input:
        accuracy=expand("results/eval/{network}/accuracy.csv", network=NETWORKS),
        decoding=expand("results/eval/{network}/decoding.csv", network=config["decoding"]["networks"]),
        lesions=[path for network in LESIONED for path in network_lesions(network)],
        histories=expand("results/models/{network}/history.csv", network=NETWORKS),
    output:
        headline="results/metrics/headline.json",
        training=expand("results/metrics/training/{network}.csv", network=NETWORKS),
    params:
        code=code_digest("metrics"),
        fraction=FIG2["fraction"],
    log:
        "logs/metrics/metrics.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule metrics metrics --accuracy {input.accuracy} --decoding {input.decoding} "
        "--lesions {input.lesions} --histories {input.histories} --fraction {params.fraction} "
        "--out results/metrics 2> {log}"
