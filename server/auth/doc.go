// Package auth verifies the JWT of a request and chooses the database role
// it runs as, the way PostgREST v16.2 does (Auth.hs, Auth/Jwt.hs): the
// same checks in the same order, the same PGRST30x errors.
//
// A Verifier is immutable and built from one configuration: a reload of
// jwt-secret, jwt-aud, jwt-role-claim-key, db-anon-role or
// jwt-cache-max-entries builds a new one, which also starts an empty token
// cache, as PostgREST resets its cache when the secret changes.
//
// With jwt-jwks-url or jwt-oidc-issuer (pgrst's own) the keys also come
// from a JWK set fetched over HTTP (remote.go): the only mutable state of
// a Verifier, published through an atomic pointer so that verification
// takes no lock, and kept fresh by a goroutine that Close stops.
package auth
