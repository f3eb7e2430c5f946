package dev.streamclassifier.job.text;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of tricky cases: what must be masked, written the many ways people write it, and what must not be, though
 * it looks alike (order and ticket numbers, dates, times, amounts, numbers that fail their checksum).
 */
class PiiMaskerTest {
    private final PiiMasker masker = new PiiMasker();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            write to jane.doe+billing@example.co.uk please         | write to [EMAIL] please
            (mail: a_b@sub.example.io)                             | (mail: [EMAIL])
            my card 4111 1111 1111 1111 was charged twice          | my card [CARD] was charged twice
            card 5555-5555-5555-4444 expired                       | card [CARD] expired
            pan 4012888888881881.                                  | pan [CARD].
            IBAN DE89 3704 0044 0532 0130 00 for the refund        | IBAN [IBAN] for the refund
            send it to GB82WEST12345698765432                      | send it to [IBAN]
            call me on +44 20 7946 0958 after 5                    | call me on [PHONE] after 5
            US office +1 (415) 555-2671                            | US office [PHONE]
            or (415) 555-2671                                      | or [PHONE]
            or 415-555-2671 today                                  | or [PHONE] today
            Berlin 030 1234567                                     | Berlin [PHONE]
            mobile 07700900123                                     | mobile [PHONE]
            Call 09061701461 now to claim                          | Call [PHONE] now to claim
            +49 30 12345678 or jane@example.com                    | [PHONE] or [EMAIL]
            """)
    void masksPersonalData(String text, String expected) {
        PiiMasker.Masked masked = masker.mask(text);

        assertThat(masked.text()).isEqualTo(expected);
        assertThat(masked.count()).isEqualTo(expected.split("\\[[A-Z]+]", -1).length - 1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Order #4111111111111111 has shipped
            order number 4111111111111111 was returned
            invoice 0123456789 is overdue
            ticket 1234567890123 is still open
            the card 4111 1111 1111 1112 was declined
            IBAN DE89 3704 0044 0532 0130 01 looks wrong
            DE89 is not an IBAN on its own
            it happened on 2024-01-15 at 10:30
            due 15.01.2024 or 01/05/2023
            between 12/31/2024 and 10:30-11:45
            a refund of 1,234.56 EUR, or $ 12 345.00
            version 1.2.3 of the app, build 20240115
            the years 2023 and 2024
            text WIN to 87121 now
            tracking 1Z999AA10123456784
            user@localhost is not an address here
            """)
    void leavesAloneWhatOnlyLooksLikeIt(String text) {
        PiiMasker.Masked masked = masker.mask(text);

        assertThat(masked.text()).isEqualTo(text);
        assertThat(masked.count()).isZero();
    }
}
