// verifier: see README.md
