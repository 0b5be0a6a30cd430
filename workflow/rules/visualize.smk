# Feature visualisation (Figure 3): the preferred image of face-only, object-only, shared and
# random units of a layer.
VISUALIZE = config["visualize"]


rule visualize:
    input:
        model=rules.train.output.model,
        relevance=get_visualized_relevance,
    output:
        "results/visualize/{network}/{layer}.npz",
    log:
        "logs/visualize/{network}/{layer}.log",
    benchmark:
        "logs/visualize/{network}/{layer}.tsv"
    conda:
        "../../envs/funcspec.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        code=code_digest("visualize"),
        numerics=numerics_arg(),
        groups=unit_group_args(),
        units=VISUALIZE["units"],
        restarts=VISUALIZE["restarts"],
        steps=VISUALIZE["steps"],
        step=VISUALIZE["step"],
        jitter=VISUALIZE["jitter"],
        blur_sigma=VISUALIZE["blur"]["sigma"],
        blur_every=VISUALIZE["blur"]["every"],
        decay=VISUALIZE["decay"],
        seed=VISUALIZE["seed"],
    shell:
        "funcspec visualize --model {input.model} --relevance {input.relevance} "
        "--layer {wildcards.layer} {params.groups} --units {params.units} "
        "--restarts {params.restarts} --steps {params.steps} "
        "--step {params.step} --jitter {params.jitter} --blur-sigma {params.blur_sigma} "
        "--blur-every {params.blur_every} --decay {params.decay} --seed {params.seed} "
        "--threads {threads} {params.numerics} --out {output} 2> {log}"
