package dev.streamclassifier.job.text;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the sender wrote stays; quotes, forwarded originals and signatures go. */
class QuotedRepliesTest {
    @Test
    void dropsAQuotedReplyBelowItsAttributionLine() {
        assertThat(QuotedReplies.strip("""
                Please block my card, it was stolen this morning.

                On Mon, 3 Mar 2026 at 10:15, Support <help@bank.example> wrote:
                > Thanks for contacting us.
                > How can we help?"""))
                .isEqualTo("Please block my card, it was stolen this morning.");
    }

    @Test
    void dropsQuotedLinesInlineAndTheSignature() {
        assertThat(QuotedReplies.strip("""
                > Did the transfer arrive?
                No, it still has not arrived.
                > Which account?
                My savings account.
                --
                Jane Doe
                Head of Things"""))
                .isEqualTo("No, it still has not arrived.\nMy savings account.");
    }

    @Test
    void dropsAForwardedOriginalAndAMobileFooter() {
        assertThat(QuotedReplies.strip("""
                Can you explain this fee?
                Sent from my iPhone"""))
                .isEqualTo("Can you explain this fee?");
        assertThat(QuotedReplies.strip("""
                See below, I was charged twice.
                -----Original Message-----
                From: Billing
                Your invoice is attached."""))
                .isEqualTo("See below, I was charged twice.");
    }

    @Test
    void keepsATextThatIsAllQuote() {
        String onlyQuote = "> what is my balance?";
        assertThat(QuotedReplies.strip(onlyQuote)).isEqualTo(onlyQuote);
        assertThat(QuotedReplies.strip("I have no signature, just a question about rates."))
                .isEqualTo("I have no signature, just a question about rates.");
    }
}
