# Top-1 accuracy on every task's test split (Fig. 1C) and held-out linear decoding (Fig. 1B).


rule evaluate:
    input:
        unpack(network_data),
        model="results/models/{network}/model.pt",
    output:
        accuracy="results/eval/{network}/accuracy.csv",
        predictions="results/eval/{network}/predictions.csv",
    params:
        code=code_digest("evaluate"),
        data=data_args,
        batch_size=config["evaluation"]["batch_size"],
        bootstrap=config["evaluation"]["bootstrap"],
        seed=config["evaluation"]["seed"],
    log:
        "logs/evaluate/{network}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule evaluate evaluate --model {input.model} --data {params.data} "
        "--batch-size {params.batch_size} --bootstrap {params.bootstrap} --seed {params.seed} "
        "--threads {threads} --out results/eval/{wildcards.network} 2> {log}"


rule decode_heldout:
    input:
        unpack(decoding_data),
        model="results/models/{network}/model.pt",
    output:
        "results/eval/{network}/decoding.csv",
    params:
        code=code_digest("decode"),
        data=decoding_args,
        batch_size=config["evaluation"]["batch_size"],
        folds=config["decoding"]["folds"],
        seed=config["decoding"]["seed"],
    log:
        "logs/decode_heldout/{network}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../../envs/funcspec.yaml"
    shell:
        "funcspec --rule decode_heldout decode --model {input.model} --data {params.data} "
        "--batch-size {params.batch_size} --folds {params.folds} --seed {params.seed} "
        "--threads {threads} --out {output} 2> {log}"
