-- rejects: every input record that was not loaded, one row per reason.
-- A record appears here or in raw_cases, never both and never neither.
create table if not exists rejects (
    load_id integer not null,   -- loads.load_id
    file_name varchar not null,
    record_no bigint,           -- record number in the file (1 = first data record)
    line_no bigint,             -- line in a text file, when known
    field varchar,              -- canonical item name, or the file's column
    value varchar,              -- the value as it appeared in the file
    reason varchar not null
);
