# The headline numbers (DVC metrics) and the training curves (DVC plots); see dvc.yaml.


rule metrics:
    input:
        accuracy=expand(rules.evaluate.output.accuracy, network=NETWORKS),
        decode=expand(rules.decode.output, network=DECODED),
        lesion=[
            path for network in config["relevance"]["networks"] for path in lesion_tables(network)
        ],
        histories=expand(rules.train.output.history, network=NETWORKS),
    output:
        headline="results/metrics/headline.json",
        training=expand("results/metrics/training/{network}.csv", network=NETWORKS),
    log:
        "logs/metrics/metrics.log",
    benchmark:
        "logs/metrics/metrics.tsv"
    conda:
        "../../envs/funcspec.yaml"
    params:
        code=code_digest("metrics"),
        fraction=FIG2["fraction"],
    shell:
        "funcspec metrics --accuracy {input.accuracy} --decode {input.decode} "
        "--lesion {input.lesion} --histories {input.histories} --fraction {params.fraction} "
        "--out {output.headline} --training {output.training} 2> {log}"
