// Package server is pgrst's HTTP side: it reads a request, authenticates it,
// asks the planner for the statement, runs it through wire and writes
// PostgreSQL's bytes back.
package server
