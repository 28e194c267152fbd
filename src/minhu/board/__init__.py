"""The public message board (城市留言板): what residents chose to make public, shown once a moderator has
approved it with the personal data in its text masked, with the approved reply; searchable; residents support
(点赞) what concerns them too."""
