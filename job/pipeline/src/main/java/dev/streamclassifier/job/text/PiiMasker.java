package dev.streamclassifier.job.text;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks personal data in text that leaves the job: e-mail addresses, phone numbers, payment card numbers (only those
 * that pass the Luhn check) and IBANs (only those whose mod-97 check holds). The model still sees the original text.
 * Built to leave alone what merely looks similar: order and ticket numbers, dates, times, amounts. Thread-safe.
 */
public final class PiiMasker {
    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}(?![\\w-])");
    private static final Pattern IBAN = Pattern.compile(
            "(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])");
    /** Not glued to more digits by a separator: a group of a longer number is not a number of its own. */
    private static final String ALONE_BEFORE = "(?<!\\d[ ./-])";
    private static final String ALONE_AFTER = "(?![ ./-]\\d)";
    /** 13 to 19 digits, in groups split by single spaces or dashes. */
    private static final Pattern CARD = Pattern.compile(
            ALONE_BEFORE + "(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])" + ALONE_AFTER);
    /**
     * International numbers with a leading +; North American 3-3-4 with separators; national numbers with a leading 0
     * and a separator after the area code; or a run of 10-12 digits that starts with 0 and a non-zero digit, as
     * national numbers are written without separators (order numbers rarely start with 0).
     */
    private static final Pattern PHONE = Pattern.compile(ALONE_BEFORE + "(?:" + String.join("|",
            "(?<![\\w+])\\+\\d{1,3}(?:[ .-]?\\(?\\d{1,4}\\)?){2,5}(?![\\d])",
            "(?<![\\w(])\\(?\\d{3}\\)?[ .-]\\d{3}[ .-]\\d{4}(?!\\d)",
            "(?<![\\w])0\\d{2,4}[ /-]\\d{3,8}(?:[ -]\\d{2,4})?(?![\\d/.-])",
            "(?<![\\w])0[1-9]\\d{8,10}(?!\\d)") + ")" + ALONE_AFTER);
    /**
     * What says the digits after it are not a card or phone: an order, invoice, ticket or tracking number, or the
     * country and check digits of an IBAN (one that failed its own check).
     */
    private static final Pattern REFERENCE_BEFORE = Pattern.compile(
            "(?i:order|invoice|ticket|tracking|ref(?:erence)?|case|account|id|no\\.?|nr\\.?|number|#)\\W{0,3}$"
                    + "|\\b[A-Z]{2}\\d{2} ?$");

    /** A masked text and how many values were masked. */
    public record Masked(String text, int count) {}

    private record Rule(Pattern pattern, String replacement, Predicate<String> valid, boolean checkContext) {}

    private final List<Rule> rules = List.of(
            new Rule(EMAIL, "[EMAIL]", value -> true, false),
            new Rule(IBAN, "[IBAN]", PiiMasker::validIban, false),
            new Rule(CARD, "[CARD]", PiiMasker::luhn, true),
            new Rule(PHONE, "[PHONE]", PiiMasker::phoneLength, true));

    public Masked mask(String text) {
        if (text == null || text.isEmpty()) {
            return new Masked(text, 0);
        }
        String masked = text;
        int count = 0;
        for (Rule rule : rules) {
            Matcher matcher = rule.pattern.matcher(masked);
            StringBuilder out = new StringBuilder(masked.length());
            int last = 0;
            while (matcher.find()) {
                String value = matcher.group();
                if (!rule.valid.test(value)
                        || rule.checkContext && REFERENCE_BEFORE.matcher(masked.substring(
                                Math.max(0, matcher.start() - 16), matcher.start())).find()) {
                    continue;
                }
                out.append(masked, last, matcher.start()).append(rule.replacement);
                last = matcher.end();
                count++;
            }
            out.append(masked, last, masked.length());
            masked = out.toString();
        }
        return new Masked(masked, count);
    }

    static boolean luhn(String value) {
        String digits = value.replaceAll("\\D", "");
        if (digits.length() < 13 || digits.length() > 19 || digits.chars().distinct().count() == 1) {
            return false;
        }
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int digit = digits.charAt(i) - '0';
            if (doubled) {
                digit *= 2;
                if (digit > 9) {
                    digit -= 9;
                }
            }
            sum += digit;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    static boolean validIban(String value) {
        String iban = value.replace(" ", "").toUpperCase(Locale.ROOT);
        if (iban.length() < 15 || iban.length() > 34) {
            return false;
        }
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int remainder = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            int n = Character.digit(rearranged.charAt(i), 36);
            if (n < 0) {
                return false;
            }
            remainder = (n > 9 ? remainder * 100 + n : remainder * 10 + n) % 97;
        }
        return remainder == 1;
    }

    private static boolean phoneLength(String value) {
        long digits = value.chars().filter(Character::isDigit).count();
        return digits >= 7 && digits <= 15;
    }
}
