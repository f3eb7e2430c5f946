package dev.streamclassifier.job;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A certificate authority of a test's own and a broker certificate it signed for {@code localhost}, written as PKCS12
 * key and trust stores: TLS between the job and an in-process broker without keytool or files in the repository.
 *
 * @param keyStore the broker's key and certificate chain
 * @param trustStore the CA's certificate, for clients (and the broker, which is its own client)
 * @param password of both stores
 */
record TestCertificates(Path keyStore, Path trustStore, String password) {
    private static final String SIGNATURE = "SHA256withRSA";

    /** A new CA and broker certificate under {@code directory}, named {@code name} (to tell two CAs apart). */
    static TestCertificates create(Path directory, String name) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair authority = generator.generateKeyPair();
        KeyPair broker = generator.generateKeyPair();
        X500Name authorityName = new X500Name("CN=stream-classifier test CA " + name);
        Date from = Date.from(Instant.now().minus(Duration.ofDays(1)));
        Date to = Date.from(Instant.now().plus(Duration.ofDays(1)));
        ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(authority.getPrivate());
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();

        JcaX509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(authorityName, BigInteger.ONE, from, to,
                authorityName, authority.getPublic());
        ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        ca.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caCertificate = converter.getCertificate(ca.build(signer));

        JcaX509v3CertificateBuilder leaf = new JcaX509v3CertificateBuilder(authorityName, BigInteger.TWO, from, to,
                new X500Name("CN=localhost"), broker.getPublic());
        leaf.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        leaf.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        X509Certificate brokerCertificate = converter.getCertificate(leaf.build(signer));

        String password = "test-" + name;
        Files.createDirectories(directory);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("broker", broker.getPrivate(), password.toCharArray(),
                new Certificate[] {brokerCertificate, caCertificate});
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", caCertificate);
        Path keyStore = directory.resolve(name + "-broker.p12");
        Path trustStore = directory.resolve(name + "-truststore.p12");
        try (OutputStream out = Files.newOutputStream(keyStore)) {
            keys.store(out, password.toCharArray());
        }
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trusted.store(out, password.toCharArray());
        }
        return new TestCertificates(keyStore, trustStore, password);
    }
}
