// contracts: see README.md
