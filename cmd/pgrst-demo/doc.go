// Command pgrst-demo is what `make run` starts when no database is
// configured: a throwaway PostgreSQL cluster in ./.pgrst-demo loaded with
// sql/demo.sql, and the pgrst server (bin/pgrst) serving it on port 3000.
// Ctrl-C stops both and removes the cluster.
package main
