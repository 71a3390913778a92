package planner

import (
	"strings"

	"github.com/pgrst/pgrst/cache"
)

// suggestTable finds the relation of schema most similar to name, for the
// PGRST205 hint. PostgREST uses a fuzzy set with a minimum score of 0.75;
// its score is one minus the Levenshtein distance over the longer length,
// which is what we compute (case-insensitively). Ties go to the smaller name.
func suggestTable(s *cache.Schema, schema, name string) string {
	if s == nil {
		return ""
	}
	want := []rune(strings.ToLower(name))
	best, bestScore := "", 0.0
	for qn := range s.Relations {
		if qn.Schema != schema {
			continue
		}
		cand := []rune(strings.ToLower(qn.Name))
		longest := max(len(want), len(cand))
		if longest == 0 || 4*abs(len(want)-len(cand)) > longest {
			continue // the distance is at least the length difference
		}
		score := 1 - float64(levenshtein(want, cand))/float64(longest)
		if score < 0.75 {
			continue
		}
		if score > bestScore || score == bestScore && qn.Name < best {
			best, bestScore = qn.Name, score
		}
	}
	return best
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
