package newstext

// Word lists for sentence segmentation. Keys are lowercase for abbreviations
// and capitalised as they appear for sentence openers.

// titleAbbrev are abbreviations that precede a name or a number, so a full
// stop after them does not end a sentence ("Dr. Smith", "St. Louis").
var titleAbbrev = setOf(
	"mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev", "fr",
	"st", "mt", "ft", "gen", "gens", "col", "lt", "maj", "capt", "cpt", "sgt",
	"cpl", "pte", "pvt", "adm", "cmdr", "brig", "gov", "sen", "rep", "reps",
	"hon", "pres", "supt", "insp", "det", "vs", "v", "ave", "rt",
)

// numberAbbrev are abbreviations that precede a number ("No. 10", "Jan. 5").
var numberAbbrev = setOf(
	"no", "nos", "vol", "vols", "p", "pp", "fig", "figs", "art", "ch", "sec",
	"op", "ed", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
	"oct", "nov", "dec", "approx", "ca", "c",
)

// sentenceOpeners are words that usually start a sentence when they follow a
// dotted acronym ("… in the U.S. The company …" but "the U.S. Army").
var sentenceOpeners = setOf(
	"The", "He", "She", "It", "They", "We", "I", "You", "But", "And", "In",
	"A", "An", "This", "That", "These", "Those", "His", "Her", "Their", "Its",
	"Our", "My", "There", "So", "Now", "After", "When", "While", "As", "At",
	"On", "For", "If", "Some", "Many", "Most", "However", "Meanwhile", "Yet",
	"Then", "Last", "According", "Other", "Both", "Despite", "Since", "Before",
	"During", "With", "Under", "Also", "Still", "Even", "Although", "Though",
	"What", "Why", "How", "Who", "Where", "Here", "Such", "Each", "Every",
	"Until", "Today", "Yesterday", "Earlier", "Later", "Police", "Officials",
)

// captionOpeners are words that are not capitalised mid-sentence, so after a
// word without punctuation they start a new sentence: a caption without a
// full stop was run into the text ("… of the club He has impressed …").
var captionOpeners = setOf(
	"He", "She", "They", "We", "His", "Her", "Their", "Its", "But",
	"However", "Meanwhile", "The",
)

// leadsIn are words after which a capitalised word or a quotation belongs to
// the same sentence ("told The Sun", "said ‘We will …’").
var leadsIn = setOf(
	"a", "an", "the", "and", "or", "nor", "but", "of", "to", "in", "on", "at",
	"by", "for", "from", "with", "into", "onto", "about", "as", "than", "like",
	"that", "is", "are", "was", "were", "be", "been", "being", "said", "says",
	"say", "told", "tell", "tells", "added", "asked", "saying", "wrote",
	"writes", "tweeted", "posted", "read", "reads", "reading", "called",
	"dubbed", "named", "labelled", "labeled", "titled", "entitled", "branded",
	"nicknamed", "known", "explained", "insisted", "claimed", "admitted",
	"declared", "replied", "shouted", "screamed", "yelled", "warned", "joked",
	"sang", "chanted", "captioned", "via", "his", "her", "their", "its", "our",
	"my", "your", "this", "these", "those", "where", "when", "if", "because",
	"after", "before", "while", "whom", "which", "who", "what", "against",
	"between", "under", "over", "without", "within", "upon", "during",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
