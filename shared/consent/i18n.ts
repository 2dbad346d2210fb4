/**
 * The customer-facing texts (preference page, unsubscribe and confirmation pages, the double opt-in
 * mail) in English and Simplified Chinese. `zh` is typed against `en`, so a key missing in either
 * fails the type check; a unit test also checks that none is empty.
 */
export type Language = 'en' | 'zh-CN';
export const languages: readonly Language[] = ['en', 'zh-CN'];

const en = {
  'page.skip': 'Skip to the form',
  'page.switchLanguage': 'Language',
  'prefs.title': 'Your communication preferences',
  'prefs.intro': 'Choose how we may contact you and what about. Changes apply from the next message on.',
  'prefs.details': 'Your details',
  'prefs.name': 'Name',
  'prefs.email': 'Email',
  'prefs.phone': 'Mobile phone',
  'prefs.phoneHint': 'With the country code, for example +86 138 0013 8000.',
  'prefs.channels': 'Channels',
  'prefs.channelsHint': 'Turning a channel off stops every message on it.',
  'prefs.topics': 'Topics',
  'prefs.topicsHint': 'Pick what you want to hear about on each channel.',
  'prefs.frequency': 'How often',
  'prefs.frequency.any': 'Whenever there is news',
  'prefs.frequency.weekly': 'At most once a week',
  'prefs.frequency.monthly': 'At most once a month',
  'prefs.language': 'Preferred language',
  'prefs.save': 'Save preferences',
  'prefs.saved': 'Your preferences are saved.',
  'prefs.pending': 'We sent you an email: click the link in it to confirm your subscription.',
  'prefs.errors': 'Please correct the fields marked below.',
  'prefs.conflict': 'Your details were changed somewhere else meanwhile. Please review them and save again.',
  'prefs.expiredForm': 'This form is too old to save. It has been reloaded; please make your changes again.',
  'channel.email': 'Email',
  'channel.sms': 'Text messages (SMS)',
  'channel.push': 'App notifications',
  'channel.webhook': 'Connected services',
  'status.pending': 'waiting for your confirmation',
  'error.invalid.title': 'This link does not work',
  'error.invalid.body':
    'The link is incomplete or was changed. Please open it again from the message we sent you, or ask us for a new one.',
  'error.expired.title': 'This link has expired',
  'error.expired.body': 'For your security, links work for a limited time. Please ask us for a new one.',
  'error.gone.title': 'This account no longer exists',
  'error.gone.body': 'There is nothing to manage here any more.',
  'field.name': 'Enter your name, up to 200 characters, without control characters.',
  'field.email': 'Enter an email address like name@example.com.',
  'field.phone': 'Enter a mobile number with its country code, like +86 138 0013 8000.',
  'field.taken': 'This cannot be used for your account. Please enter another one, or keep the current one.',
  'field.choice': 'Choose one of the options.',
  'unsub.title': 'Unsubscribe',
  'unsub.question': 'Stop receiving {what}?',
  'unsub.button': 'Unsubscribe',
  'unsub.done': 'You are unsubscribed from {what}. It takes effect before our next message.',
  'unsub.all': 'all messages on this channel',
  'confirm.title': 'Confirm your subscription',
  'confirm.question': 'Please confirm that you want to receive our emails.',
  'confirm.button': 'Confirm',
  'confirm.done': 'Thank you, your subscription is confirmed.',
  'confirm.nothing': 'There is nothing left to confirm: your choices are already saved.',
  'confirm.mailSubject': 'Please confirm your subscription',
  'confirm.mailBody': 'Please confirm that you want to receive our emails by opening this link:',
} as const;

const zh: Record<keyof typeof en, string> = {
  'page.skip': '跳到表单',
  'page.switchLanguage': '语言',
  'prefs.title': '您的消息偏好',
  'prefs.intro': '选择我们可以通过哪些方式、就哪些内容联系您。更改从下一条消息起生效。',
  'prefs.details': '您的资料',
  'prefs.name': '姓名',
  'prefs.email': '电子邮箱',
  'prefs.phone': '手机号码',
  'prefs.phoneHint': '请带国家代码，例如 +86 138 0013 8000。',
  'prefs.channels': '渠道',
  'prefs.channelsHint': '关闭某个渠道后，该渠道将不再发送任何消息。',
  'prefs.topics': '主题',
  'prefs.topicsHint': '选择您希望在各个渠道接收的内容。',
  'prefs.frequency': '接收频率',
  'prefs.frequency.any': '有消息就通知我',
  'prefs.frequency.weekly': '每周最多一次',
  'prefs.frequency.monthly': '每月最多一次',
  'prefs.language': '首选语言',
  'prefs.save': '保存偏好',
  'prefs.saved': '您的偏好已保存。',
  'prefs.pending': '我们已向您发送一封邮件，请点击其中的链接确认订阅。',
  'prefs.errors': '请更正下面标出的字段。',
  'prefs.conflict': '您的资料在此期间已在其他地方被修改，请检查后再次保存。',
  'prefs.expiredForm': '此表单已过期，页面已重新加载，请重新修改。',
  'channel.email': '电子邮件',
  'channel.sms': '短信',
  'channel.push': '应用通知',
  'channel.webhook': '已连接的服务',
  'status.pending': '等待您的确认',
  'error.invalid.title': '此链接无效',
  'error.invalid.body': '链接不完整或已被修改。请从我们发给您的消息中重新打开，或联系我们获取新链接。',
  'error.expired.title': '此链接已过期',
  'error.expired.body': '为保障您的安全，链接仅在有限时间内有效。请联系我们获取新链接。',
  'error.gone.title': '此账户已不存在',
  'error.gone.body': '这里已没有可管理的内容。',
  'field.name': '请输入您的姓名，最多 200 个字符，不含控制字符。',
  'field.email': '请输入电子邮箱地址，例如 name@example.com。',
  'field.phone': '请输入带国家代码的手机号码，例如 +86 138 0013 8000。',
  'field.taken': '此项无法用于您的账户。请输入其他值，或保留当前值。',
  'field.choice': '请选择一个选项。',
  'unsub.title': '退订',
  'unsub.question': '不再接收{what}？',
  'unsub.button': '退订',
  'unsub.done': '您已退订{what}。在我们发送下一条消息之前即生效。',
  'unsub.all': '此渠道的所有消息',
  'confirm.title': '确认订阅',
  'confirm.question': '请确认您希望接收我们的电子邮件。',
  'confirm.button': '确认',
  'confirm.done': '谢谢，您的订阅已确认。',
  'confirm.nothing': '没有需要确认的内容：您的选择已经保存。',
  'confirm.mailSubject': '请确认您的订阅',
  'confirm.mailBody': '请打开以下链接，确认您希望接收我们的电子邮件：',
};

export type MessageKey = keyof typeof en;
export const messages: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zh };

export function t(lang: Language, key: MessageKey, vars: Record<string, string> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
}

/** A BCP 47 tag to one of our languages: any Chinese tag reads Simplified Chinese, anything else English. */
export function languageOf(tag: string | undefined): Language {
  return tag && /^zh\b/i.test(tag.trim()) ? 'zh-CN' : 'en';
}

/**
 * The page language: an explicit choice (the language switch), then the customer's locale, then the
 * browser's Accept-Language (by its q-values), then English.
 */
export function pickLanguage(input: {
  choice?: string | undefined;
  locale?: string | undefined;
  acceptLanguage?: string | undefined;
}): Language {
  if (input.choice) return languageOf(input.choice);
  if (input.locale) return languageOf(input.locale);
  const ranked = (input.acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((r) => r.tag !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (/^zh\b/i.test(tag)) return 'zh-CN';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}
