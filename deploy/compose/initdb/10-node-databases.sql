-- One database per node (docs/deployment.md): a node's data, backups and restores are its own.
-- Run once by the postgres image on an empty data directory. Each node migrates its own schema at start.
CREATE DATABASE tdx_330000;
CREATE DATABASE tdx_330100;
CREATE DATABASE tdx_330106;
