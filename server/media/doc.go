// Package media decodes media types (Accept entries and Content-Type
// values) the way PostgREST's MediaType module does, and names them as
// PostgREST's messages do. Both the request body reader (server/payload)
// and content negotiation (server) use it, so a media type means the same
// thing on both sides of a request.
package media
