import Foundation
import HTTPTypes
import Hummingbird
import BertKitJSON

/// The error body a route answers with: OpenAI's shape on `/v1`, TEI's elsewhere.
public enum ErrorStyle: Sendable {
    /// `{"error": {"message", "type", "param", "code"}}`
    case openAI
    /// `{"error": "…", "error_type": "…"}`
    case tei
}

/// An error answered to the client with a status and a JSON body.
public struct ServeError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var style: ErrorStyle
    public var headers: HTTPFields = [:]
    /// OpenAI's `code` (e.g. `invalid_api_key`), when there is one.
    public var code: String? = nil

    public var description: String { "\(status.code) \(message)" }

    /// OpenAI's `type`, or TEI's `error_type`.
    var kind: String {
        switch (style, status.code) {
        case (.openAI, 401): return "authentication_error"
        case (.openAI, 503), (.openAI, 500...): return "server_error"
        case (.openAI, _): return "invalid_request_error"
        case (.tei, 503): return "Overloaded"
        case (.tei, 401): return "Unauthorized"
        case (.tei, 500...): return "Backend"
        case (.tei, _): return "Validation"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The JSON body.
    public var body: String {
        switch style {
        case .openAI:
            let code = self.code.map(JSONWriter.string) ?? "null"
            return "{\"error\":{\"message\":\(JSONWriter.string(message)),\"type\":\"\(kind)\",\"param\":null,\"code\":\(code)}}"
        case .tei:
            return "{\"error\":\(JSONWriter.string(message)),\"error_type\":\"\(kind)\"}"
        }
    }

    static func badRequest(_ message: String, _ style: ErrorStyle) -> ServeError {
        ServeError(status: .badRequest, message: message, style: style)
    }

    /// Well-formed JSON with the wrong content: 422 on TEI's routes, 400 on OpenAI's (as OpenAI does).
    static func invalid(_ message: String, _ style: ErrorStyle) -> ServeError {
        ServeError(status: style == .openAI ? .badRequest : .unprocessableContent, message: message, style: style)
    }

    static func overloaded(_ message: String, _ style: ErrorStyle) -> ServeError {
        var fields = HTTPFields()
        fields[.retryAfter] = "1"
        return ServeError(status: .serviceUnavailable, message: message, style: style, headers: fields)
    }
}
