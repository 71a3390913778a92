// Command pgrst serves a PostgreSQL database as a REST API compatible with
// PostgREST. Its only argument is the configuration file; PGRST_*
// environment variables override it, and so does the configuration kept
// in the database (see the README's control plane section).
package main
