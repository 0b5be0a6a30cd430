# funcspec: rerun Dobs, Martinez, Kell & Kanwisher (2022), Science Advances 8, eabl8913.
#   snakemake --cores all                                  the embedded synthetic default
#   snakemake --cores all --configfile config/smoke.yaml   the CI-sized run
#   snakemake --profile slurm --configfile config/paper.yaml    the full study on a cluster
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/lesion.smk"
include: "workflow/rules/figures.smk"


localrules:
    all,
    lowlevel_probe,
    contact_sheet,
    plot_history,
    fig1,
    fig2,
    metrics,


rule all:
    input:
        expand("results/prepared/{dataset}", dataset=DATASETS),
        "results/probe/lowlevel_probe.csv",
        "results/figures/contact_sheet.png",
        expand("results/eval/{network}/accuracy.csv", network=NETWORKS),
        rules.fig1.output,
        rules.fig2.output,
        rules.metrics.output,


onsuccess:
    record_with_dvc()
