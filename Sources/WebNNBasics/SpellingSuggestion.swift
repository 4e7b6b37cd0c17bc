/// "Did you mean" suggestions for misspelled names, by edit distance.
public enum SpellingSuggestion {
    /// The candidate closest to `name`, if it is close enough to be a plausible typo
    /// (edit distance at most a third of the name's length, and at least 1). Case differences
    /// count as half an edit, so `Conv2d` suggests `conv2d`.
    public static func closest<Candidates: Sequence>(to name: String, in candidates: Candidates) -> String?
    where Candidates.Element == String {
        let limit = max(1, name.count / 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(name, candidate)
            if distance <= limit * 2, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// `"; did you mean 'x'?"` for the closest candidate, or an empty string.
    public static func didYouMean<Candidates: Sequence>(_ name: String, in candidates: Candidates) -> String
    where Candidates.Element == String {
        closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance in half-edits: a substitution that only changes letter case costs 1,
    /// every other insertion, deletion or substitution costs 2.
    static func editDistance(_ first: String, _ second: String) -> Int {
        let a = Array(first)
        let b = Array(second)
        var previous = Array(stride(from: 0, through: b.count * 2, by: 2))
        for (i, aCharacter) in a.enumerated() {
            var current = [(i + 1) * 2]
            for (j, bCharacter) in b.enumerated() {
                let substitution = aCharacter == bCharacter ? 0
                    : aCharacter.lowercased() == bCharacter.lowercased() ? 1 : 2
                current.append(min(previous[j + 1] + 2, current[j] + 2, previous[j] + substitution))
            }
            previous = current
        }
        return previous[b.count]
    }
}
