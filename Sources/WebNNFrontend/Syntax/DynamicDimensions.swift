import WebNNBasics

extension GraphSyntax {
    /// The graph with every `dyn("name", max)` input dimension replaced by its value in
    /// `dimensions` (an ahead-of-time compiler specializes the graph for one size).
    ///
    /// Errors: a dynamic dimension without a value (the message lists all of them with their
    /// maxima), a value outside 1...max, one name declared with two maxima, and a value for a name
    /// the graph does not declare.
    public func specialized(dimensions: [String: Int], source: SourceText) throws(Diagnostic) -> GraphSyntax {
        var declared: [(name: String, maximum: Int, location: SourceLocation)] = []
        for input in inputs {
            for dynamic in input.type.dynamicDimensions {
                if let previous = declared.first(where: { $0.name == dynamic.name }) {
                    guard previous.maximum == dynamic.maximum else {
                        throw source.error("dynamic dimension \"\(dynamic.name)\" is declared with maximum \(dynamic.maximum) "
                                           + "here but \(previous.maximum) before", at: dynamic.location,
                                           notes: [source.note("first declared here", at: previous.location)])
                    }
                } else {
                    declared.append((dynamic.name, dynamic.maximum, dynamic.location))
                }
            }
        }
        let listing = declared.map { "\($0.name) ≤ \($0.maximum)" }.joined(separator: ", ")
        for name in dimensions.keys.sorted() where !declared.contains(where: { $0.name == name }) {
            let known = declared.isEmpty ? "it has none" : "it has \(listing)"
            throw Diagnostic("--dim \(name)=\(dimensions[name]!): \(source.file) has no dynamic dimension \"\(name)\" (\(known))"
                             + SpellingSuggestion.didYouMean(name, in: declared.map(\.name)))
        }
        var result = self
        for index in result.inputs.indices {
            var type = result.inputs[index].type
            for dynamic in type.dynamicDimensions {
                guard let value = dimensions[dynamic.name] else {
                    throw source.error("input '\(result.inputs[index].name.name)' has the dynamic dimension \"\(dynamic.name)\"; "
                                       + "a compiled graph needs a value for each (e.g. --dim \(dynamic.name)=\(dynamic.maximum)); "
                                       + "dynamic dimensions: \(listing)", at: dynamic.location)
                }
                guard value >= 1, value <= dynamic.maximum else {
                    throw source.error("--dim \(dynamic.name)=\(value) is outside 1...\(dynamic.maximum), the range of "
                                       + "dyn(\"\(dynamic.name)\", \(dynamic.maximum))", at: dynamic.location)
                }
                type.type.shape[dynamic.axis] = value
            }
            type.dynamicDimensions = []
            result.inputs[index].type = type
        }
        return result
    }
}
