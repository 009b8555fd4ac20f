// Package prompts is sfpdesk's side of the language model: the prompt
// templates, the drafter, the buyer-seller messaging-rules checker and the
// redaction of buyers' personal data.
//
// # Basics
//
// [Check] reads a reply meant for a buyer and returns one [Finding] per
// broken rule of Amazon's Buyer-Seller Messaging Guidelines and of the Seller
// Fulfilled Prime programme, each quoting the words that broke it. [Rules]
// lists the rules with the policy each comes from; docs/RULES.md shows them
// with the checker's precision and recall on the fixtures in testdata/.
//
// [Redact] replaces names, e-mail addresses, phone numbers, postal
// addresses, IBANs, card numbers and order ids with placeholders such as
// [NAME_1] before a text is shown to a model, and returns the [Mapping] that
// [Mapping.Restore] uses to put the originals back into the model's answer.
// One Mapping can redact several texts (the question, product facts, earlier
// answers) so that the same datum gets the same placeholder everywhere.
//
// [DetectLanguage] tells French, English, German, Spanish and Italian apart
// from their most common words; the checker and the drafter share it.
//
// # Caveats
//
// The checker and the redactor are word lists and small parsers, not
// understanding: they catch the usual ways of breaking a rule or writing a
// datum in the five languages and miss paraphrases. A person reads every
// reply before it is sent, and the findings are there to help that person.
//
// A Mapping holds buyers' personal data. It prints and logs as counts only;
// never restore a text that goes to a log, a finding or a metric.
//
// Texts from buyers are untrusted: every pattern here runs in time linear in
// the text (Go's regexp is RE2), and invalid UTF-8 is kept byte for byte.
package prompts
