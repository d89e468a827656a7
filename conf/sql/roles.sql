-- Least-privilege roles for sluice (README "Install and run as a service").
-- Run once as a superuser (or a role with CREATEROLE) in the database sluice writes to:
--   sudo -u postgres psql -d maillog -f /usr/share/sluice/roles.sql
-- then, as sluice_owner, `sluice migrate --config /etc/sluice/migrate.toml`, which creates
-- the tables and grants sluice_writer and sluice_reader what they need (again at every
-- migration, so new tables are covered). Set passwords with \password ROLE (or use peer or
-- certificate authentication); this file sets none.
--
--   sluice_owner   LOGIN: owns schema sluice, its tables and functions; runs `sluice migrate`.
--   sluice_writer  NOLOGIN group: INSERT into the event tables, the ledger's SELECT, INSERT
--                  and UPDATE, and EXECUTE on sluice.ensure_partitions and
--                  sluice.prune_ledger, SECURITY DEFINER functions of sluice_owner: the writer
--                  can create tomorrow's partition and trim the ledger, nothing more. It can
--                  neither DELETE events nor DROP or ALTER anything.
--   sluiced        LOGIN, member of sluice_writer: the role in sluiced's conninfo.
--   sluice_reader  NOLOGIN group: SELECT on every table and view of schema sluice; GRANT it
--                  to analysts' roles (GRANT sluice_reader TO alice).
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE sluice_owner LOGIN'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_owner') \gexec
SELECT 'CREATE ROLE sluice_writer NOLOGIN'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_writer') \gexec
SELECT 'CREATE ROLE sluiced LOGIN IN ROLE sluice_writer'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluiced') \gexec
SELECT 'CREATE ROLE sluice_reader NOLOGIN'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_reader') \gexec

-- `sluice migrate` creates the schema if it is missing (CREATE on the database) and then
-- only objects inside it.
GRANT CREATE, CONNECT ON DATABASE :"DBNAME" TO sluice_owner;
GRANT CONNECT ON DATABASE :"DBNAME" TO sluice_writer, sluice_reader;
CREATE SCHEMA IF NOT EXISTS sluice AUTHORIZATION sluice_owner;
GRANT USAGE ON SCHEMA sluice TO sluice_writer, sluice_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE sluice_owner IN SCHEMA sluice
  GRANT SELECT ON TABLES TO sluice_reader;
