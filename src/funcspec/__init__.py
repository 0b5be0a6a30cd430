"""funcspec: reproduce Dobs et al. (2022), functional specialization in CNNs trained on faces
and objects."""
