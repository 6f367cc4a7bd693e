-- item_edits: values that could not be a code of their item, in records that
-- loaded anyway (NAACCR EDITS style). The value was set to unknown (blank) in
-- raw_cases; here is what the file said and why it was refused. Only items a
-- record does not depend on are edited: an invalid identity or analysis key
-- (patient, sequence, site, histology, behaviour, dates, vital status,
-- follow-up) rejects the record instead (see rejects).
create table if not exists item_edits (
    load_id integer not null,   -- loads.load_id
    file_name varchar not null,
    record_no bigint not null,  -- raw_cases.record_no of the loaded record
    line_no bigint,             -- line in a text file, when known
    item varchar not null,      -- canonical item name
    value varchar,              -- the value as it appeared in the file
    reason varchar not null     -- the item's code list, and what was done
);
