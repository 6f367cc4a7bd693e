-- loads: one row per extract file loaded, its provenance and its accounting.
-- rows_read = rows_loaded + rows_rejected for every load; a newer submission
-- loaded with --supersede keeps the older file's row (provenance of both).
create sequence if not exists load_id_seq start 1;

create table if not exists loads (
    load_id integer primary key default nextval('load_id_seq'),
    file_name varchar not null,        -- base name of the extract
    file_path varchar not null,        -- absolute path at load time
    sha256 varchar not null,           -- content hash: the same file is loaded once
    size_bytes bigint not null,
    format varchar not null,           -- csv | parquet | naaccr-xml | naaccr-flat | seerstat
    rows_read bigint,
    rows_loaded bigint,
    rows_rejected bigint,
    columns_kept_extra varchar[],      -- columns kept in raw_cases.extra
    columns_dropped varchar[],         -- quasi-identifiers dropped on load
    loaded_at timestamp not null,
    package_version varchar not null,  -- cohort version that loaded the file
    duckdb_version varchar not null,
    blank_lines bigint,                -- blank or whitespace-only lines skipped (not records)
    supersedes boolean,                -- loaded with --supersede (a newer submission)
    records_superseded bigint          -- earlier records in force that this file replaced
);

-- registries written before these columns existed get them (cohort upgrade)
alter table loads add column if not exists blank_lines bigint;
alter table loads add column if not exists supersedes boolean;
alter table loads add column if not exists records_superseded bigint;
