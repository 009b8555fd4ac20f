package prompts

import (
	"regexp"
	"sync"
)

// The words of the messaging rules in French, English, German, Spanish and
// Italian. Each entry is a case-insensitive regexp fragment matched as whole
// words (see wordRE); \s+ between words, \p{L}* for endings.
//
// Every pattern of this package is compiled once, on first use
// (sync.OnceValue): together they cost some 30 ms and 8 MB to compile, which
// a command that never checks a reply should not pay at start-up.

// Marketing: Amazon's Communication Guidelines forbid marketing and
// promotional messages, coupons, and promotion of other products in
// buyer-seller messages.
var marketingRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		// fr
		`codes?\s+(?:promo(?:tionnel)?s?|de\s+réduction|de\s+remise|réduction|avantage)`,
		`bons?\s+(?:de\s+réduction|d['’]achat)`,
		`coupons?`,
		`\d{1,2}\s?%\s+(?:de\s+)?(?:réduction|remise|rabais)`,
		`(?:réduction|remise|rabais)\s+(?:exceptionnelle\s+)?de\s+\d{1,2}\s?%`,
		`promotions?`, `en\s+promo`, `soldes`,
		`offres?\s+(?:spéciales?|exclusives?|promotionnelles?|limitées?|du\s+moment)`,
		`-\s?\d{1,2}\s?%`, `(?:code|codice|c[óo]digo)\s+(?-i:[A-Z][A-Z0-9]*[0-9][A-Z0-9]*)`,
		`ventes?\s+flash`, `newsletters?`, `abonnez[- ]vous`, `suivez[- ]nous`,
		`découvrez\s+(?:aussi\s+|également\s+)?(?:nos|notre)\s+(?:autres\s+)?(?:produits|articles|gamme|collection|boutique|nouveautés)`,
		`(?:nouvelle|dernière)\s+collection`, `nos\s+autres\s+(?:produits|articles)`,
		// en
		`(?:promo|promotional|discount|coupon|voucher)\s+codes?`, `vouchers?`, `discounts?`,
		`\d{1,2}\s?%\s+off`, `special\s+offers?`, `exclusive\s+(?:offers?|deals?|discounts?)`,
		`flash\s+sales?`, `on\s+sale`, `subscribe`, `follow\s+us`,
		`check\s+out\s+our\s+(?:other\s+|new\s+)?(?:products|items|store|shop|range|collection)`,
		`our\s+other\s+(?:products|items)`, `new\s+collection`, `limited[- ]time\s+offers?`, `buy\s+one,?\s+get\s+one`,
		// de
		`(?:rabatt|gutschein|aktions|promo)codes?`, `gutscheine?`, `rabatte?`, `\d{1,2}\s?%\s+rabatt`,
		`sonderangebote?`, `(?:exklusive?[ns]?|besondere[ns]?)\s+angebote?`, `abonnieren\s+sie`, `folgen\s+sie\s+uns`,
		`entdecken\s+sie\s+(?:auch\s+)?unsere\s+(?:anderen\s+|weiteren\s+|neuen\s+)?(?:produkte|artikel|kollektion|angebote|shop)`,
		`unsere\s+(?:anderen|weiteren)\s+produkte`, `neue\s+kollektion`, `schnäppchen`, `preisnachlass`,
		// es
		`c[óo]digos?\s+(?:promocional(?:es)?|de\s+descuento|descuento)`, `cup[óo]n(?:es)?`, `descuentos?`,
		`\d{1,2}\s?%\s+(?:de\s+)?descuento`, `ofertas?\s+(?:especial(?:es)?|exclusivas?|limitadas?)`,
		`rebajas`, `promoci[óo]n(?:es)?`, `suscr[íi]b(?:a|e)se`, `bolet[íi]n`, `s[íi]ganos`,
		`descubra\s+(?:también\s+)?nuestros\s+(?:otros\s+)?(?:productos|artículos)`,
		`nuestros\s+otros\s+(?:productos|artículos)`, `nueva\s+colecci[óo]n`,
		// it
		`codici?\s+(?:sconto|promozional[ei])`, `buoni?\s+sconto`, `sconti?`, `\d{1,2}\s?%\s+(?:di\s+)?sconto`,
		`offert[ae]\s+(?:special[ei]|esclusiv[ae]|limitat[ae])`, `saldi`, `promozion[ei]`,
		`iscriviti`, `si\s+iscriva`, `seguici`, `ci\s+segua`,
		`scopr[ai]\s+(?:anche\s+)?(?:i\s+)?(?:nostri|altri)\s+(?:altri\s+)?(?:prodotti|articoli)`,
		`nostri\s+altri\s+prodotti`, `nuova\s+collezione`,
		// A seller's page on a social network is promotion; the network named as
		// a feature ("YouTube is preinstalled") is not.
		`(?:sur|on|auf|en|su|via)\s+(?:notre\s+|our\s+|unserem?\s+|nuestro\s+|nostro\s+)?(?:page\s+|compte\s+|account\s+|profil\s+|pagina\s+|perfil\s+)?(?:instagram|facebook|tiktok|pinterest|youtube)`,
	)
})

// Messaging apps and "outside Amazon" are always contact outside Amazon:
// the Seller Code of Conduct allows contacting buyers only through
// Buyer-Seller Messaging.
var contactAlwaysRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		// The apps are also product features ("compatible with Skype", "a
		// messenger bag"): only a channel counts, "via WhatsApp", "WhatsApp us".
		`(?:via|sur|on|over|par|per|über|auf|por|su|en|by|mit|con|tramite)\s+(?:whats\s?app|telegram|viber|wechat|skype|messenger|signal)`,
		`(?:un|a|ein(?:en)?|uno)\s+(?:whats\s?app|telegram)`,
		`(?:whats\s?app|telegram|viber|wechat|skype|signal)\s+(?:us|me|nous|moi|uns|mir|mich|nos|ci)`,
		`en\s+dehors\s+d['’]amazon`, `hors\s+d['’]amazon`, `outside\s+(?:of\s+)?amazon`,
		`au(?:ß|ss)erhalb\s+von\s+amazon`, `fuera\s+de\s+amazon`, `al\s+di\s+fuori\s+di\s+amazon`, `fuori\s+(?:da\s+)?amazon`,
	)
})

// Invitations to call, write or visit the seller elsewhere; fine when the
// sentence names Amazon's messaging as the way ("écrivez-nous via la
// messagerie Amazon").
var contactRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		// fr
		`appelez[- ](?:nous|moi)`, `téléphonez[- ](?:nous|moi)`, `(?:nous|me)\s+(?:appeler|téléphoner)`,
		`(?:nous\s+)?(?:joindre|joignables?)\s+(?:au|par\s+téléphone|directement|sur)`,
		`contactez[- ]nous\s+(?:directement|par\s+(?:téléphone|e-?mail|mail|courriel|sms)|au|à\s+l['’]adresse|sur\s+notre\s+site)`,
		`écrivez[- ]nous\s+(?:directement|à|au|sur|par\s+(?:e-?mail|mail|courriel|sms))`, `écrivez\s+(?:à|au)`,
		`envoyez[- ]nous\s+un\s+(?:e-?mail|mail|courriel|sms|message\s+(?:direct|privé))`,
		`(?:sur|via)\s+notre\s+site(?:\s+(?:web|internet))?`, `notre\s+site\s+(?:web|internet)`,
		`notre\s+boutique\s+en\s+ligne`, `par\s+sms`,
		`notre\s+numéro\s+(?:de\s+téléphone|de\s+portable|direct)`, `notre\s+(?:adresse\s+)?(?:e-?mail|mail|courriel)`,
		// en
		`call\s+us`, `give\s+us\s+a\s+(?:call|ring)`, `phone\s+us`, `text\s+us`, `ring\s+us`, `e-?mail\s+us`,
		`write\s+to\s+us\s+(?:at|directly|on|via)`, `write\s+to`, `call\s+me`, `contact\s+us\s+(?:directly|at|on|via|by\s+(?:phone|e-?mail|text))`,
		`reach\s+us\s+(?:at|on|directly|by)`, `message\s+us\s+(?:on|at|via)`,
		`our\s+(?:own\s+)?(?:website|web\s+site|web\s+shop|webshop|online\s+(?:shop|store))`,
		`our\s+(?:phone|telephone|mobile)\s+number`, `our\s+e-?mail(?:\s+address)?`, `my\s+(?:personal\s+)?(?:e-?mail|phone\s+number|mobile\s+number)`,
		// de
		`rufen\s+sie\s+(?:uns|mich)\s+(?:[\p{L}\p{N}+()/.\-]+\s+){0,6}?an`,
		`(?:kontaktieren|erreichen)\s+sie\s+uns\s+(?:direkt|telefonisch|per\s+(?:e-?mail|mail|telefon|sms)|unter)`,
		`schreiben\s+sie\s+(?:uns\s+)?(?:direkt|eine\s+e-?mail|per\s+(?:e-?mail|mail|sms)|an|unter)`,
		`unsere[rn]?\s+(?:website|webseite|homepage|internetseite|online-?shop|webshop)`, `unser(?:em)?\s+(?:online-?shop|webshop)`,
		`unsere\s+telefonnummer`, `unsere\s+e-?mail-?adresse`, `telefonisch\s+erreichbar`, `per\s+sms`,
		// es
		`ll[áa]m(?:enos|anos)`, `llamarnos`, `escriba\s+(?:a|al)`, `escr[íi]b(?:anos|enos)\s+(?:a|al|directamente|por\s+(?:correo|e-?mail|email))`,
		`cont[áa]ct(?:enos|anos)\s+(?:directamente|por\s+(?:tel[ée]fono|correo|e-?mail|whatsapp)|en|al)`,
		`env[íi](?:enos|anos)\s+un\s+(?:correo|e-?mail|email|mensaje\s+directo|sms)`,
		`nuestra\s+(?:p[áa]gina\s+)?web`, `nuestra\s+tienda\s+(?:online|en\s+l[íi]nea)`, `nuestro\s+sitio\s+web`,
		`nuestro\s+(?:n[úu]mero\s+de\s+tel[ée]fono|tel[ée]fono|correo(?:\s+electr[óo]nico)?)`,
		// it
		`ci\s+chiami`, `chiamateci`, `chiamaci`, `ci\s+telefoni`,
		`(?:ci\s+)?scriva\s+(?:a|ad|all['’]|direttamente|via|su|per\s+e-?mail)`, `scriveteci`, `scrivici`,
		`ci\s+contatti\s+(?:direttamente|al|via|per\s+telefono|tramite)`, `contatt(?:ateci|aci)\s+(?:direttamente|al|via|per\s+telefono|su)`,
		`nostro\s+sito(?:\s+(?:web|internet))?`, `nostro\s+negozio\s+online`,
		`il\s+nostro\s+(?:numero(?:\s+di\s+telefono)?|indirizzo\s+e-?mail|telefono)`, `ci\s+invii\s+una\s+e-?mail`,
	)
})

// Verbs that, just before an e-mail address or a phone number, make it an
// invitation: "email help@…", "Contactez-nous : sav (at) …", "chiamaci al …".
var contactVerbRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`e-?mail`, `write`, `call`, `contact`, `text`, `reach`, `phone`, `ring`,
		`écrivez`, `écrire`, `appelez`, `appeler`, `contactez`, `contacter`, `joindre`, `joignables?`, `envoyez`, `téléphonez`,
		`schreiben`, `rufen`, `anrufen`, `kontaktieren`, `erreichen`, `melden`,
		`escr[íi]b\p{L}*`, `ll[áa]m\p{L}*`, `cont[áa]ct\p{L}*`, `env[íi]\p{L}*`,
		`scriv\p{L}*`, `chiam\p{L}*`, `contatt\p{L}*`, `telefon\p{L}*`, `invii`,
	)
})

// A seller offering a refund, a return or a cancellation itself: under
// Seller Fulfilled Prime these belong to Amazon Customer Service. The
// words allowed between the subject and the verb are auxiliaries and
// adverbs, never a negation, so "nous ne pouvons pas vous rembourser" does
// not match.
var refundRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		// fr
		`(?:nous\s+|je\s+|j['’]\s*)(?:(?:vous|le|la|les|en|allons|vais|pouvons|peux|pourrions|pourrons|pourrais|proposons|propose|souhaitons|tenons|à|avons|ai|venons|viens|de|bien|volontiers|sommes|suis|prêts?|prêtes?|ravis?|heureux|heureuse|tout|fait|immédiatement|directement|intégralement|déjà|procéder|procédons|procédé|au|effectuer|effectuons|effectué|un|une|faire|rapidement|sûr|entendu|alors|donc|aussi|également|simplement)\s+|(?:l|d)['’]\s*){0,6}?(?:rembours\p{L}*|annul\p{L}*)`,
		`remboursements?\s+partiels?`, `gestes?\s+commercia(?:l|ux)`, `dédommagements?`,
		`(?:renvoy|retourn|réexpédi|reexpedi)\p{L}*[\s-]*(?:(?:le|la|les|l['’])[\s-]*)?-?nous`,
		`nous\s+(?:le|la|les|l['’])\s*(?:renvoy|retourn|réexpédi)\p{L}*`,
		`(?:nous|je)\s+(?:vous\s+)?(?:envo\p{L}*|fourni\p{L}*|transmet\p{L}*|adress\p{L}*)\s+(?:une|l['’]|votre)\s*étiquettes?\s+(?:de\s+)?retour`,
		// en
		`(?:we|i)(?:['’](?:ll|ve|d|m))?\s+(?:(?:will|would|can|could|shall|are|am|have|has|be|been|happy|glad|pleased|to|gladly|happily|immediately|directly|fully|already|just|go|going|ahead|and|issue|issued|offer|give|provide|process|processed|arrange|a|an|the|full|partial|you|your|for|now|also|definitely|certainly|of|course|willing|able)\s+){0,6}?(?:refund\p{L}*|cancel\p{L}*|reimburs\p{L}*)`,
		`partial\s+refunds?`,
		`(?:send|ship|return|post|mail)\s+(?:it|them|the\s+\p{L}+)\s+back\s+to\s+us`,
		`return\s+(?:it|them|the\s+\p{L}+)\s+to\s+us`,
		`(?:we|i)(?:['’]ll)?\s+(?:will\s+)?(?:send|e-?mail|provide)\s+you\s+(?:with\s+)?a\s+(?:prepaid\s+|free\s+)?return\s+label`,
		// de
		`(?:wir|ich)\s+(?:(?:können|kann|werden|werde|möchten|möchte|würden|würde|haben|habe|sind|bin|ihnen|dir|dich|den|die|das|kaufpreis|betrag|gerne|gern|sofort|direkt|selbstverständlich|natürlich|vollständig|komplett|bereits|schon|auch|ihre|ihren|bestellung|eine|einen|ihr|geld|vollen|gesamten|teil|teilweise|umgehend|heute|hiermit)\s+){0,6}?(?:(?:zurück|rück)?erstatt\p{L}*|storn\p{L}*|gutschr\p{L}*|gutgeschrieben|zurückzahl\p{L}*|zurückgezahlt)`,
		`(?:erstatt|zurückerstatt|storn)\p{L}*\s+(?:wir|ich)`,
		`teil(?:rück)?erstattung(?:en)?`,
		`(?:schicken|senden)\s+sie\s+(?:\p{L}+\s+){0,4}?(?:an\s+uns\s+)?zurück`,
		`(?:wir|ich)\s+(?:\p{L}+\s+){0,3}?(?:ein\s+|das\s+)?rücksendeetikett`,
		// es
		`(?:le|les|te|os)\s+(?:reembols\p{L}*|devolve(?:mos|remos)\s+(?:el\s+)?(?:dinero|importe))`,
		`(?:reembols|cancel|anul)(?:amos|aremos)`,
		`(?:podemos|vamos\s+a|queremos|procedemos\s+a|procederemos\s+a|hemos|he|puedo|voy\s+a)\s+(?:(?:le|les|su|el|la|al|un|una|total|parcial|completo|inmediatamente|directamente|ya|gustosamente|de)\s+)*?(?:reembols\p{L}*|cancel\p{L}*|anul\p{L}*|devolverle\s+el\s+dinero)`,
		`reembolsos?\s+parcial(?:es)?`,
		`(?:le\s+)?(?:enviamos|enviaremos|mandamos|mandaremos)\s+(?:\p{L}+\s+){0,2}?etiqueta\s+de\s+devoluci\p{L}+`,
		`devu[ée]lvanos\p{L}*`, `env[íi]enos(?:lo|la)?\s+(?:\p{L}+\s+){0,3}?de\s+vuelta`,
		// it
		`(?:la|le|ti|vi|lo)\s+rimbors(?:iamo|eremo|erò|o)`, `rimbors(?:iamo|eremo)`, `annull(?:iamo|eremo)`, `cancell(?:iamo|eremo)`,
		`(?:possiamo|vogliamo|procediamo|procederemo|abbiamo|ho|provvediamo|provvederemo|posso)\s+(?:(?:a|al|ad|la|le|il|suo|sua|subito|direttamente|immediatamente|già|volentieri|intero|totale|parziale)\s+|(?:all|l)['’]\s*)*?(?:rimbors\p{L}*|annull\p{L}*|cancell\p{L}*)`,
		`rimbors[oi]\s+parzial[ei]`,
		`ci\s+(?:rispedisca|rimandi|restituisca|rispedite|restituite)`, `ce\s+(?:lo|la|li|le)\s+(?:rispedisca|rimandi|restituisca)`,
		`rispediscilo`, `rispediscila`, `rimandacelo`, `restituiscilo`,
		`(?:le\s+)?(?:inviamo|invieremo|mandiamo|manderemo)\s+(?:\p{L}+\s+){0,2}?etichetta\s+(?:di\s+reso|per\s+il\s+reso)`,
	)
})

// Sentences that hand the matter to Amazon name its customer service, its
// messaging or its returns centre, or make Amazon the one who acts.
var amazonServiceRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`service\s+client(?:s|èle)?`, `customer\s+(?:service|support)`, `kundenservice`, `kundendienst`,
		`atenci[óo]n\s+al\s+cliente`, `servicio\s+(?:de\s+atenci[óo]n\s+)?al\s+cliente`, `servicio\s+de\s+atenci[óo]n`,
		`servizio\s+clienti`, `assistenza\s+clienti`, `messagerie`, `messaging`, `nachrichten`, `mensajer[íi]a`, `messaggistica`,
		`a-to-z`, `a\s+à\s+z`, `a-z`, `garantie`, `retourenzentrum`, `centro\s+de\s+devoluciones`, `centro\s+resi`,
		`centre\s+de\s+retours?`, `returns?\s+cent(?:er|re)`, `seller\s+central`,
		`amazon\s+(?:pourra|peut|va|vous|will|can|may|kann|wird|puede|podrá|le|la|lo|ihnen|può|potrà|se\s+charge|takes|handles|übernimmt|gestiona|gestisce)`,
		`(?:via|par|through|über|a\s+trav[ée]s\s+de|tramite|attraverso|auprès\s+d['’]|de\s+la\s+part\s+d['’]|desde|von|by)\s*(?:l['’])?amazon`,
	)
})

// Phrases that tell the buyer to go around Amazon.
var bypassRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`pas\s+besoin\s+de\s+passer\s+par`, `sans\s+passer\s+par`, `plutôt\s+que`, `au\s+lieu\s+de`,
		`no\s+need\s+to`, `instead\s+of`, `without\s+going\s+through`, `rather\s+than`,
		`ohne\s+(?:\p{L}+\s+){0,2}?über`, `statt\s+über`, `anstatt`,
		`sin\s+pasar\s+por`, `en\s+lugar\s+de`, `en\s+vez\s+de`,
		`senza\s+passare`, `invece\s+di`, `piuttosto\s+che`,
	)
})

// Words for a review, a rating or seller feedback.
var reviewNounRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`avis`, `commentaires?`, `[ée]valuations?`, `feedbacks?`, `reviews?`, `ratings?`,
		`bewertung(?:en)?`, `rezension(?:en)?`, `rese[ñn]as?`, `valoraci(?:ón|on|ones)`, `opini(?:ón|on|ones)`,
		`comentarios?`, `calificaci(?:ón|on|ones)`, `recension[ei]`, `valutazion[ei]`, `opinion[ei]`,
		`[ée]toiles`, `stars?`, `sterne?n?`, `estrellas`, `stelle`,
	)
})

// Verbs that ask for something (leave, give, write, help).
var requestVerbRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`laiss\p{L}*`, `donn\p{L}*`, `mett\p{L}*`, `attribu\p{L}*`, `not(?:er|ez)`, `publi\p{L}*`, `écri\p{L}*`,
		`rédig\p{L}*`, `partag\p{L}*`, `pens\p{L}*`, `oubli\p{L}*`, `hésit\p{L}*`, `aid\p{L}*`,
		`leave`, `leaving`, `give`, `giving`, `write`, `post`, `rate`, `share`, `consider`, `forget`, `hesitate`, `help\p{L}*`, `appreciate\p{L}*`,
		`hinterlass\p{L}*`, `geben`, `schreib\p{L}*`, `bewerten`, `abgeben`, `vergeben`, `teilen`, `freuen`, `helfen`, `hilft`,
		`d[ée]j\p{L}*`, `dar(?:nos)?`, `escrib\p{L}*`, `valor(?:ar|e|arnos)`, `calific\p{L}*`, `compart\p{L}*`, `ayud\p{L}*`, `agradecer\p{L}*`,
		`lasci\p{L}*`, `dar(?:e|ci)`, `ci\s+dia`, `scriv\p{L}*`, `pubblic\p{L}*`, `valut\p{L}*`, `condivid\p{L}*`, `aiut\p{L}*`,
	)
})

// A review qualified as positive, or a maximum star rating.
var positiveReviewRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`(?:bon|bons|bonne|bonnes|excellent|excellente|super|meilleure?|très\s+bon(?:ne)?|positif|positive|joli)\s+(?:avis|commentaires?|[ée]valuations?|retour)`,
		`(?:donn|mett|laiss|attribu)\p{L}*\s+(?:nous\s+)?une\s+(?:bonne|excellente|très\s+bonne)\s+note`,
		`(?:avis|commentaires?|[ée]valuations?|retours?|feedbacks?)\s+(?:très\s+)?(?:positi(?:f|fs|ve|ves)|favorables?|élogieux|excellent\p{L}*|parfait\p{L}*)`,
		`(?:5|cinq)\s*[ée]toiles`, `note\s+(?:maximale|de\s+5)`, `5\s*/\s*5`, `★★★★★`,
		`(?:good|great|positive|excellent|glowing|nice|top|5-star|five-star|5\s+star|five\s+star)\s+(?:reviews?|feedback|ratings?)`,
		`(?:5|five)[\s-]*stars?`, `(?:full|top|max(?:imum)?)\s+(?:marks|rating|stars)`,
		`(?:gute|guten|positive|positiven|tolle|tollen|sehr\s+gute|5-sterne|fünf-sterne)\s+(?:bewertung(?:en)?|rezension(?:en)?|feedback)`,
		`(?:5|fünf)[\s-]*sterne(?:n|-bewertung)?`, `positives\s+feedback`,
		`(?:buena|buenas|excelente|excelentes)\s+(?:reseñas?|valoraci(?:ón|ones)|opini(?:ón|ones)|comentarios?|calificaci(?:ón|ones))`,
		`(?:reseñas?|valoraci(?:ón|ones)|opini(?:ón|ones)|comentarios?|calificaci(?:ón|ones))\s+(?:muy\s+)?(?:positiv[ao]s?|excelentes?|favorables?)`,
		`(?:5|cinco)\s+estrellas`,
		`(?:buona|buone|ottima|ottime|eccellente|bella)\s+(?:recension[ei]|valutazion[ei]|opinion[ei]|feedback)`,
		`(?:recension[ei]|valutazion[ei]|feedback|opinion[ei]|commenti?)\s+(?:molto\s+)?(?:positiv[aeio]|ottim[aei]|eccellent[ei]|favorevol[ei])`,
		`(?:5|cinque)\s+stelle`,
	)
})

// Something offered for a review.
var incentiveRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`en\s+échange`, `en\s+contrepartie`, `rembours\p{L}*`, `remise`, `réduction`, `bons?\s+d['’]achat`, `cadeaux?`,
		`offert\p{L}*`, `gratuit\p{L}*`, `cartes?\s+cadeaux?`,
		`in\s+exchange`, `in\s+return`, `gift\s+cards?`, `free`, `refund\p{L}*`, `discounts?`, `vouchers?`, `coupons?`, `rewards?`, `compensat\p{L}*`,
		`im\s+austausch`, `als\s+dankeschön`, `gegenleistung`, `gutschein\p{L}*`, `gratis`, `kostenlos\p{L}*`, `erstatt\p{L}*`, `rabatt\p{L}*`, `geschenk\p{L}*`,
		`a\s+cambio`, `regalos?`, `reembols\p{L}*`, `descuentos?`, `cup[óo]n\p{L}*`, `tarjetas?\s+regalo`,
		`in\s+cambio`, `in\s+omaggio`, `regal[oi]`, `rimbors\p{L}*`, `scont\p{L}*`, `buon[oi]\s+(?:sconto|regalo|acquisto)`,
	)
})

// A review asked only of buyers who are happy: Amazon forbids asking for
// reviews selectively.
var conditionalRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`si\s+vous\s+(?:êtes|etes|étiez|avez\s+été)\s+(?:satisfait|content|ravi)\p{L}*`,
		`si\s+(?:le|ce|notre)\s+produit\s+vous\s+(?:plaît|plait|a\s+plu)`, `si\s+vous\s+(?:avez\s+)?(?:aimé|apprécié|appréciez|aimez)`,
		`if\s+you\s+(?:are|were|['’]re)\s+(?:happy|satisfied|pleased)`, `if\s+you\s+(?:liked|like|enjoyed|enjoy|love|loved)`, `happy\s+customers?`,
		`(?:wenn|falls)\s+sie\s+(?:\p{L}+\s+){0,2}?zufrieden`, `(?:wenn|falls)\s+ihnen\s+(?:\p{L}+\s+){0,3}?gef[äa]llt`,
		`si\s+(?:est[áa]|qued[óo])\s+(?:satisfech|content)\p{L}*`, `si\s+le\s+(?:ha\s+)?gust(?:a|ó|ado)`,
		`se\s+(?:è|e['’]|é)\s+(?:rimast[oa]\s+)?soddisfatt[oa]`, `se\s+(?:le|ti)\s+(?:è\s+)?piaciut[oa]`, `se\s+(?:le|ti)\s+piace`,
	)
})

// A request to change or take down a review.
var changeReviewRE = sync.OnceValue(func() *regexp.Regexp {
	return wordRE(
		`(?:modifier|changer|retirer|supprimer|mettre\s+à\s+jour|revoir|corriger|réviser|modifiez|retirez|supprimez)\s+(?:votre|ce|cet|cette|l['’]|le|la|vos|ces)\s*(?:\p{L}+\s+)?(?:avis|commentaires?|[ée]valuations?|note|feedbacks?)`,
		`(?:change|update|remove|delete|revise|amend|withdraw|edit|take\s+down)\s+(?:your|the|this|that)\s+(?:\p{L}+\s+)?(?:reviews?|feedback|ratings?)`,
		`(?:bewertung|rezension|feedback)(?:en)?\s+(?:\p{L}+\s+){0,3}?(?:ändern|anpassen|entfernen|löschen|zurückziehen|zurücknehmen|korrigieren)`,
		`(?:cambiar|modificar|eliminar|retirar|borrar|actualizar|quitar)\s+(?:su|la|esta|esa|el)\s+(?:\p{L}+\s+)?(?:reseñas?|valoraci(?:ón|ones)|opini(?:ón|ones)|comentarios?|calificaci(?:ón|ones))`,
		`(?:modificare|cambiare|rimuovere|eliminare|ritirare|cancellare|aggiornare|modificasse|rimuovesse)\s+(?:la\s+sua|la|sua|questa|il\s+suo|il)\s+(?:\p{L}+\s+)?(?:recension[ei]|valutazion[ei]|feedback|commenti?)`,
	)
})
