package payload

import "github.com/pgrst/pgrst/server/media"

// Media is a request body's media type, decoded from Content-Type the way
// PostgREST's MediaType.decodeMediaType does.
type Media uint8

const (
	// MediaJSON is application/json, application/vnd.pgrst.array+json
	// without nulls=stripped, or a request without Content-Type.
	MediaJSON Media = iota
	// MediaCSV is text/csv.
	MediaCSV
	// MediaForm is application/x-www-form-urlencoded.
	MediaForm
	// MediaText is text/plain (a function's raw argument).
	MediaText
	// MediaXML is text/xml (a function's raw argument).
	MediaXML
	// MediaOctet is application/octet-stream (a function's raw argument).
	MediaOctet
	// MediaOther is any other media type: no action takes it.
	MediaOther
)

// DecodeMedia is the media type of a Content-Type value, as Parse decodes
// it; empty is JSON.
func DecodeMedia(ct []byte) Media { return decodeMedia(ct) }

// decodeMedia decodes a Content-Type value into the body formats Parse
// reads. An empty value is JSON.
func decodeMedia(ct []byte) Media {
	if len(ct) == 0 {
		return MediaJSON
	}
	switch media.Decode(ct).Kind {
	case media.JSON:
		return MediaJSON
	case media.CSV:
		return MediaCSV
	case media.URLEncoded:
		return MediaForm
	case media.Text:
		return MediaText
	case media.XML:
		return MediaXML
	case media.Octet:
		return MediaOctet
	}
	return MediaOther
}
