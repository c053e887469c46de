package io.navstar.gossip.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.UncheckedIOException;
import javax.net.ssl.SSLException;

/**
 * Netty TLS contexts for mutual TLS from {@link TlsFiles}: the server requires a client
 * certificate, both sides trust only the configured CA, TLS 1.3 and 1.2 only. Peers are addressed
 * by IP, so host-name verification is off; the CA is the trust anchor.
 */
public final class TlsContexts {

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    public static SslContext server(TlsFiles files) {
        try {
            return SslContextBuilder.forServer(files.certificateChain().toFile(), files.privateKey().toFile())
                    .sslProvider(SslProvider.JDK)
                    .trustManager(files.trustedCertificates().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new SSLException("cannot build the TLS server context from " + files, e));
        }
    }

    public static SslContext client(TlsFiles files) {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .keyManager(files.certificateChain().toFile(), files.privateKey().toFile())
                    .trustManager(files.trustedCertificates().toFile())
                    .endpointIdentificationAlgorithm(null)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new SSLException("cannot build the TLS client context from " + files, e));
        }
    }
}
