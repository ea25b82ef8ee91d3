import Foundation
internal import CCurl

/// The production ``HTTPTransport`` over libcurl: TLS verification always on, http/https only, no redirects followed
/// (the ``HTTPClient`` decides about each one), a CA bundle when given.
public struct CurlTransport: HTTPTransport {
    /// PEM file of CA certificates to trust instead of the system store (`--ca-bundle`).
    public let caBundle: String?
    public let userAgent: String

    public init(caBundle: String? = nil, userAgent: String = "hephaestus") {
        self.caBundle = caBundle
        self.userAgent = userAgent
    }

    public func perform(_ request: HTTPRequest, timeouts: AttemptTimeouts, sink: HTTPBodySink) throws -> HTTPResponseHead {
        try SharedLibrary.curl.load()
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let state = TransferState(sink: sink)
        let unmanaged = Unmanaged.passRetained(state)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for field in request.headers {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        // Suppress curl's own "Expect: 100-continue" and keep Accept explicit.
        headerList = curl_slist_append(headerList, "Expect:")

        hp_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString)
        hp_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        hp_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        hp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        hp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        hp_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        hp_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000))
        hp_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000))
        hp_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        // Large transfers: fewer, bigger reads and file writes (libcurl's default buffer is 16 KiB).
        hp_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        hp_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        if let caBundle { hp_curl_setopt_string(handle, CURLOPT_CAINFO, caBundle) }
        hp_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        switch request.method {
        case "GET": hp_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": hp_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: hp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        let body = request.body ?? []
        let performed: CURLcode = body.withUnsafeBufferPointer { buffer in
            if let streamed = request.streamedBody {
                streamed.reset()
                state.upload = streamed
                hp_curl_setopt_long(handle, CURLOPT_UPLOAD, 0)
                hp_curl_setopt_long(handle, CURLOPT_POST, 1)
                hp_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(streamed.length))
                hp_curl_setopt_pointer(handle, CURLOPT_READDATA, unmanaged.toOpaque())
                hp_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
                    let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                    return state.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
                }
                if request.method != "POST" { hp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
            } else if request.body != nil {
                hp_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(buffer.count))
                hp_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
            hp_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
            hp_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
                let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                state.header(UnsafeRawBufferPointer(start: buffer, count: size * count))
                return size * count
            }
            hp_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            hp_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
                let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                return state.body(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
            }
            return curl_easy_perform(handle)
        }
        if let failure = state.failure { throw failure }
        guard performed == CURLE_OK else {
            var message = String(cString: curl_easy_strerror(performed))
            if performed == CURLE_PARTIAL_FILE { message = "truncated body (\(message))" }
            throw TransportError.transport(url: request.url.absoluteString, reason: message, retryable: Self.isRetryable(performed))
        }
        var status = 0
        hp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let head = HTTPResponseHead(status: status, headers: state.headers)
        if !state.began { try sink.begin(head) }
        return head
    }

    /// Transient transport failures: refused, reset, timeouts, truncated or empty replies, DNS.
    static func isRetryable(_ code: CURLcode) -> Bool {
        [
            CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
            CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM,
        ].contains(code)
    }
}

/// The state of one transfer, reached from curl's C callbacks through the user-data pointer.
private final class TransferState {
    let sink: HTTPBodySink
    var headers = HTTPHeaders()
    var statusLine = ""
    var began = false
    var failure: (any Error)?
    var upload: StreamedBody?

    init(sink: HTTPBodySink) {
        self.sink = sink
    }

    func header(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after 100-continue or an informational status): start over.
            statusLine = line
            headers = HTTPHeaders()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    /// Feeds curl the next upload bytes; a read failure aborts the transfer and is rethrown.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let upload else { return 0 }
        do {
            return try upload.read(into: buffer)
        } catch {
            failure = error
            return Int(CURL_READFUNC_ABORT)
        }
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            if !began {
                began = true
                let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
                try sink.begin(HTTPResponseHead(status: status, headers: headers))
            }
            try sink.write(bytes)
            return true
        } catch {
            failure = error
            return false
        }
    }
}
