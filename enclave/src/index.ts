// enclave: see README.md
