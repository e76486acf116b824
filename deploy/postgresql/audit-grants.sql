-- The application role may only add to and read the audit trail (ARCHITECTURE.md rule 7, issue #4).
-- Run as the owner (migration) role after `clientvault migrate`; replace clientvault_app with the
-- role the web processes and workers connect as. The retention archive (`clientvault audit archive`)
-- runs as a separate role that additionally holds DELETE on audit_auditevent only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, audit_auditleaf, audit_checkpoint, audit_auditarchive, audit_archivedleaf, audit_witnesspublication, audit_auditnode FROM clientvault_app;
GRANT SELECT, INSERT ON audit_auditevent, audit_auditleaf, audit_checkpoint, audit_auditarchive, audit_archivedleaf, audit_witnesspublication, audit_auditnode TO clientvault_app;
GRANT USAGE ON SEQUENCE audit_auditevent_id_seq, audit_auditarchive_id_seq, audit_witnesspublication_id_seq TO clientvault_app;
