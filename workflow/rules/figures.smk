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
        networks=" ".join(FIG1_NETWORKS),
        face_task=FIG1["face_task"],
        object_task=FIG1["object_task"],
    log:
        "logs/fig1/fig1.log",
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec fig1 --accuracy {input.accuracy} --decoding {input.decoding} "
        "--networks {params.networks} --face-task {params.face_task} "
        "--object-task {params.object_task} --out-prefix results/figures/fig1 2> {log}"
