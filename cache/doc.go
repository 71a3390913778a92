// Package cache holds pgrst's schema cache: what the exposed schemas contain
// (relations, columns, keys, functions, comments), loaded in one set of
// introspection queries and never modified after it is built. A new cache is
// published by swapping a pointer, so readers take no locks.
package cache
