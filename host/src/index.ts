// host: see README.md
