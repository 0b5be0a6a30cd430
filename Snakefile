# funcspec: rerun Dobs, Martinez, Kell & Kanwisher (2022), Science Advances 8, eabl8913.
#   snakemake --cores all                                  the embedded synthetic default
#   snakemake --cores all --configfile config/smoke.yaml   the CI-sized run
#   snakemake --profile slurm --configfile config/paper.yaml    the full study on a cluster
# A target goes before --configfile, which takes every value after it as a config file:
#   snakemake --cores all fig1 --configfile config/smoke.yaml
from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/decode.smk"
include: "workflow/rules/overlap.smk"
include: "workflow/rules/relevance.smk"
include: "workflow/rules/lesion.smk"
include: "workflow/rules/visualize.smk"
include: "workflow/rules/readout.smk"
include: "workflow/rules/selectivity.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/metrics.smk"


localrules:
    all,
    probe,
    contact_sheet,
    history,
    fig1,
    fig2,
    fig3,
    fig4,
    figS1,
    figS2,
    architectures,
    snapshots,
    metrics,


rule all:
    input:
        expand(rules.prepare.output, dataset=DATASETS),
        rules.probe.output,
        rules.contact_sheet.output,
        expand(rules.evaluate.output.accuracy, network=NETWORKS),
        expand(rules.history.output, network=NETWORKS),
        rules.fig1.output,
        rules.fig2.output,
        rules.fig3.output,
        rules.fig4.output,
        rules.figS1.output,
        rules.figS2.output,
        rules.architectures.output if ARCHITECTURES["networks"] else [],
        rules.snapshots.output if SNAPSHOT_FIGURE else [],
        rules.metrics.output,


onsuccess:
    record_with_dvc()
