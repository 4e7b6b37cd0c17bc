import Foundation
import WebNNBasics
import WebNNIR

/// One operator case computed once with numpy (the `Data/make_*_cases.py` scripts of
/// WebNNReferenceTests): an operator, its operands (nil where an optional operand is absent),
/// its attributes and its expected outputs, all float32.
public struct NumpyCase: CustomStringConvertible, Sendable {
    public var name: String, op: String
    public var operands: [TensorData?]
    public var attributes: [String: Attribute]
    public var expected: [TensorData]
    public var description: String { name }

    /// The cases of a JSON list of `{name, op, operands, attributes, expected}`, where a tensor
    /// is `{shape, data}`, an attribute `{kind: value}` (int, ints, double, doubles, string,
    /// strings, bool) and `expected` one tensor or a list of them; `accept` filters by name.
    /// Empty when the file cannot be read: each suite checks how many cases it loaded.
    public static func load(_ url: URL, accept: (String) -> Bool = { _ in true }) -> [NumpyCase] {
        guard let data = try? Data(contentsOf: url),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        func tensor(_ object: Any?) -> TensorData? {
            guard let object = object as? [String: Any], let shape = object["shape"] as? [Int],
                  let values = object["data"] as? [Double] else { return nil }
            return TensorData(float32: values.map(Float.init), shape: shape)
        }
        func attribute(_ object: Any) -> Attribute? {
            guard let object = object as? [String: Any], let (kind, value) = object.first else { return nil }
            switch kind {
            case "int": return (value as? Int).map { .int(Int64($0)) }
            case "ints": return (value as? [Int]).map { .ints($0.map(Int64.init)) }
            case "double": return (value as? Double).map(Attribute.double)
            case "doubles": return (value as? [Double]).map(Attribute.doubles)
            case "string": return (value as? String).map(Attribute.string)
            case "strings": return (value as? [String]).map(Attribute.strings)
            case "bool": return (value as? Bool).map(Attribute.bool)
            default: return nil
            }
        }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, accept(name), let op = entry["op"] as? String,
                  let operands = entry["operands"] as? [Any],
                  let expected = (entry["expected"] as? [Any])?.compactMap(tensor) ?? tensor(entry["expected"]).map({ [$0] }),
                  let attributes = entry["attributes"] as? [String: Any] else { return nil }
            return NumpyCase(name: name, op: op, operands: operands.map(tensor),
                             attributes: attributes.compactMapValues(attribute), expected: expected)
        }
    }
}
